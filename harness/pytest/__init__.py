"""golive's pytest layer: the plugin (a ``pytest11`` entry point) and what it forwards to.

Read `lifecycle` for one run from start to verdict; `plugin` only forwards hooks.
"""
