"""`open_target`: the profile's target for one environment (demo, SQL, or a Python adapter).

A Python adapter is named by dotted path ``package.module:ClassName`` in
``target.adapter`` and constructed as ``ClassName(profile, environment, options)``
with ``target.options``. It must provide the core of `harness.targets.base.Target`
(the attributes ``name``, ``environment``, ``release`` and the core methods);
each capability attribute it lacks is None — the target cannot answer that —
and each one it has must provide its protocol's methods.
"""

from __future__ import annotations

import importlib
from typing import cast

from harness.config import DemoTargetConfig, Profile, PythonTargetConfig, SqlTargetConfig
from harness.targets.base import CAPABILITIES, Target, TargetError
from harness.targets.sql import SqlTarget

CORE_ATTRIBUTES = ("name", "environment", "release")
CORE_METHODS = ("account", "packages", "transactions", "invoices", "events", "billing_settings",
                "latest_bill_run", "restore", "run_bill_run", "billing_service", "close")


def open_target(profile: Profile, environment: str = "staging") -> Target:
    """The target of ``profile`` in ``environment`` ("staging" or "production")."""
    config = profile.target
    if isinstance(config, DemoTargetConfig):
        # here, not at the top: only a demo profile pays for loading the demo platform
        from harness.targets.demo import DemoTarget

        return DemoTarget(profile, environment)
    if isinstance(config, SqlTargetConfig):
        return SqlTarget(profile, environment)
    return _adapter(profile, config, environment)


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


def _adapter(profile: Profile, config: PythonTargetConfig, environment: str) -> Target:
    cls = load_adapter_class(config.adapter)
    adapter = cls(profile, environment, dict(config.options))
    where = f"target.adapter {config.adapter}: {cls.__name__}"
    missing = [name for name in CORE_METHODS if not callable(getattr(adapter, name, None))]
    if missing:
        raise TargetError(f"{where} lacks the Target method(s) {', '.join(missing)}")
    absent = [name for name in CORE_ATTRIBUTES if not hasattr(adapter, name)]
    if absent:
        raise TargetError(f"{where} lacks the Target attribute(s) {', '.join(absent)}")
    for name, protocol in CAPABILITIES.items():
        if not hasattr(adapter, name):
            try:
                setattr(adapter, name, None)  # the adapter cannot answer this
            except AttributeError:  # __slots__: it must say so itself
                raise TargetError(f"{where} has no attribute {name} and takes none: set "
                                  f"{name} = None in the class") from None
            continue
        capability = getattr(adapter, name)
        if capability is None:
            continue
        lacking = [m for m in _members(protocol) if not callable(getattr(capability, m, None))]
        if lacking:
            raise TargetError(f"{where}: its {name} lacks {', '.join(lacking)} "
                              f"(see harness.targets.capabilities.{protocol.__name__}), "
                              f"or set {name} to None")
    return cast(Target, adapter)


def _members(protocol: type) -> list[str]:
    """The methods a capability protocol asks for."""
    return sorted(name for name, value in vars(protocol).items()
                  if callable(value) and not name.startswith("_"))
