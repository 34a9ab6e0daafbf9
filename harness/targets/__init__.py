"""Target adapters: how golive reaches the platform under test.

`base` holds the `Target` protocol (the core), `capabilities` the optional
parts, `views` the answers; `loader.open_target` builds the profile's target
(`demo`, `sql`, or a Python adapter). Nothing is imported here, so that
`harness.config` can load `sql_catalog` without loading the targets.
"""
