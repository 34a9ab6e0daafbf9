"""Outbound channels of the platform (mail, provisioning, HTTP JSON) with short timeouts
and a per-run memory of hosts that are down, so a dead host costs one timeout per run."""

from demo.outbound.hosts import HostCache, HostDown
from demo.outbound.http import HttpResult, post_json

__all__ = ["HostCache", "HostDown", "HttpResult", "post_json"]
