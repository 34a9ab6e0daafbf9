"""``golive accounts pick``: the diverse accounts that together cover the most distinct
configurations of the population, written into the checklist.

    survey.py   one pass over the profile's ``population.features`` query (production,
                read-only): the population's distinct configurations, not its accounts
    buckets.py  numbers into quantile buckets, so an account's configuration is a set of
                (feature, value) pairs
    cover.py    greedy set cover over those pairs, ties to the smallest key
    block.py    the picked block: rendered as YAML with a comment per account, merged into
                the checklist file without touching anything outside it

Features come from the platform through the profile's query, never from demo internals.
"""
