"""`open_target`: the profile's target for one environment (demo, SQL, or a Python adapter).

A Python adapter is named by dotted path ``package.module:ClassName`` in
``target.adapter`` and constructed as ``ClassName(profile, environment, options)``
with ``target.options`` (a mapping, {} when absent); it must provide every
method of `harness.targets.base.Target`.
"""

from __future__ import annotations

import importlib
from typing import Any, cast

from harness.targets.base import Target, TargetError
from harness.targets.sql import section

KINDS = ("demo", "sql", "python")


def open_target(profile: Any, environment: str = "staging") -> Target:
    """The target of ``profile`` in ``environment`` ("staging" or "production")."""
    kind = str(getattr(profile.target, "kind", "") or "")
    if kind == "demo":
        from harness.targets.demo import DemoTarget

        return DemoTarget(profile, environment)
    if kind == "sql":
        from harness.targets.sql import SqlTarget

        return SqlTarget(profile, environment)
    if kind == "python":
        return _adapter(profile, environment)
    raise TargetError(f"target.kind: unknown kind {kind!r} (one of {', '.join(KINDS)})")


def load_adapter_class(path: str) -> type:
    """The class named by ``package.module:ClassName``; TargetError saying what is wrong."""
    module_name, sep, class_name = path.partition(":")
    if not sep or not module_name or not class_name:
        raise TargetError(f"target.adapter: {path!r} is not of the form package.module:ClassName")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        raise TargetError(f"target.adapter: cannot import {module_name!r}: {exc}") from None
    cls = getattr(module, class_name, None)
    if not isinstance(cls, type):
        raise TargetError(f"target.adapter: module {module_name!r} has no class {class_name!r}")
    return cls


def _adapter(profile: Any, environment: str) -> Target:
    path = str(getattr(profile.target, "adapter", "") or "")
    if not path:
        raise TargetError("target.kind is python but target.adapter (package.module:ClassName) "
                          "is not set")
    cls = load_adapter_class(path)
    target = cls(profile, environment, section(profile.target, "options"))
    missing = [name for name in _PROTOCOL_METHODS if not callable(getattr(target, name, None))]
    if missing:
        raise TargetError(f"target.adapter {path}: {cls.__name__} lacks the Target method(s) "
                          f"{', '.join(missing)}")
    absent = [name for name in ("name", "environment", "release") if not hasattr(target, name)]
    if absent:
        raise TargetError(f"target.adapter {path}: {cls.__name__} lacks the Target "
                          f"attribute(s) {', '.join(absent)}")
    # Only the core is required: the optional questions (payments, portals, …) are
    # asked by the features that need them, which fail naming the missing method.
    return cast(Target, target)


_PROTOCOL_METHODS = ("account", "packages", "transactions", "invoices", "bucket_pool", "events",
                     "billing_settings", "latest_bill_run", "outbound", "restore",
                     "run_bill_run", "billing_service", "redirect_outbound", "close")
