"""Send provisioning requests (activate / suspend) to a service's HTTP endpoint."""

from __future__ import annotations

from typing import Any

from demo.outbound.hosts import HostCache
from demo.outbound.http import post_json

PROVISION_TIMEOUT = 5.0


def provisioning_payload(
    action: str, account_number: str, package_code: str, user_package_id: int, service: str
) -> dict[str, Any]:
    """The JSON body the provisioning endpoints receive (README rule 9)."""
    return {
        "action": action,
        "account": account_number,
        "package": package_code,
        "user_package_id": user_package_id,
        "service": service,
    }


def send_provisioning(
    url: str, payload: dict[str, Any], hosts: HostCache | None = None
) -> int:
    """POST the request; return the HTTP status. Raise OSError if the host is unreachable."""
    return post_json(url, payload, hosts=hosts, timeout=PROVISION_TIMEOUT).status
