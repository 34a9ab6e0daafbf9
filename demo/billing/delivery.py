"""Provisioning requests (activate / suspend) sent during a run and recorded in bulk."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import insert, select, update

from demo.billing.context import RunContext
from demo.models import ProvisioningConfig, ProvisioningRequest, UserPackage
from demo.outbound.provisioning import provisioning_payload, send_provisioning


def provisioning_urls(ctx: RunContext) -> dict[str, str]:
    rows = ctx.session.execute(select(ProvisioningConfig.service, ProvisioningConfig.url))
    return {service: url for service, url in rows}


def send_requests(
    ctx: RunContext,
    action: str,
    items: list[tuple[int, str, int, str, str]],
    urls: dict[str, str],
) -> list[int]:
    """Send ``(account_id, account_number, user_package_id, package_code, service)``
    requests; record each; return the user-package ids that succeeded. Failures are
    ERROR events and never stop the run."""
    rows: list[dict[str, Any]] = []
    ok: list[int] = []
    for account_id, number, up_id, code, service in items:
        payload = provisioning_payload(action, number, code, up_id, service)
        url = urls.get(service)
        if url is None:
            ctx.events.error(
                "provisioning",
                f"{action} {service} for {number}: no provisioning_config for service {service!r}",
                account_id,
            )
            continue
        status: int | None = None
        sent = False
        try:
            status = send_provisioning(url, payload, ctx.hosts)
        except (OSError, ValueError) as exc:
            ctx.events.error("provisioning", f"{action} {service} for {number}: {url}: {exc}",
                             account_id)
        else:
            sent = 200 <= status < 300
            if sent:
                ok.append(up_id)
                ctx.result.provisioning_sent += 1
            else:
                ctx.events.error("provisioning",
                                 f"{action} {service} for {number}: {url} answered HTTP {status}",
                                 account_id)
        rows.append(
            {"account_id": account_id, "user_package_id": up_id, "bill_run_id": ctx.bill_run_id,
             "action": action, "service": service, "url": url, "payload": payload,
             "status": "sent" if sent else "failed", "response_code": status,
             "created_at": dt.datetime.now()}
        )
    if rows:
        ctx.session.execute(insert(ProvisioningRequest), rows)
    return ok


def mark_provisioned(ctx: RunContext, user_package_ids: list[int]) -> None:
    if user_package_ids:
        ctx.session.execute(
            update(UserPackage), [{"id": i, "provisioned": True} for i in user_package_ids]
        )
