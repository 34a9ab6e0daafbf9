"""The demo target: golive's adapter for the embedded demo platform (`demo/`).

The only place in golive that imports `demo` (ARCHITECTURE.md). One module per
concern, all sharing one `DemoDatabase`: `core` (reads), `family` (sub-accounts
and pools), `pipeline` (restore, bill run, billing service), `backup`,
`outbound`, `operations` (provisioning, payments, roles, imports, custom
actions) and `portals`; `target` composes them into `DemoTarget`.
"""

from harness.targets.demo.target import DemoTarget

__all__ = ["DemoTarget"]
