"""Production is the oracle: production's results of the bill run (the baseline), captured
read-only, and the whole staging population compared with them.

    profile.py      the profile's ``population`` section
    values.py       canonical values per kind, tolerances, deltas
    readonly.py     read-only connections (production, the baseline, staging)
    store.py        the baseline: a SQLite file or tables in a PostgreSQL database
    capture.py      production → baseline, with provenance
    sources.py      a population query or a stored baseline as rows in key order
    merge.py        streaming merge of two key-ordered row streams
    buckets.py      the two-phase method between two PostgreSQL databases
    differences.py  what differs: categories, findings, the CSV
    compare.py      one comparison, method chosen per dataset
    oracle.py       one account against production: its baseline rows beside staging's

Nothing here is imported by `harness.config` but ``profile`` and ``values``.
"""
