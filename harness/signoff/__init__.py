"""Sign-off of a run after it ran: manual results, waivers, customer UAT evidence,
signatures in a hash-chained ledger, verification, and the history of runs.

Every act on a run is one line of ``reports/<run>/signoff/ledger.jsonl``; the
record (``run.json``) is the run as pytest left it with the ledger applied, and
every report is rendered from that (see `harness.signoff.render`).
"""
