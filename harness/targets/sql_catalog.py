"""What a SQL profile may name: its queries (the core and each capability) and commands.

A SQL profile declares what its platform can answer by the queries it has: the
core queries are required, a capability is present when all of its queries are
given (its optional ones may be left out), and a partial set is a mistake, not
a smaller capability. `problems` is called by the profile loader, so each
mistake is reported with file and line before anything runs. No imports from
the rest of the target package: `harness.config` loads this module.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from common.yamlsource import Loc, suggest

CORE_QUERIES = ("account", "packages", "transactions", "invoices", "events", "billing_settings",
                "latest_bill_run")


@dataclass(frozen=True)
class QuerySet:
    """The queries of one capability: all of ``required``, any of ``optional``."""

    required: tuple[str, ...]
    optional: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return (*self.required, *self.optional)


CAPABILITY_QUERIES: dict[str, QuerySet] = {
    "sub_accounts": QuerySet(("account_children",)),
    "pools": QuerySet(("bucket_pool",)),
    "outbound": QuerySet(("outbound", "redirect_outbound"), ("invoice_mails",)),
    "provisioning": QuerySet(("provisioning_requests",)),
    "payments": QuerySet(("payment_processors", "payments")),
    "permissions": QuerySet(("role_permissions",)),
    "custom_actions": QuerySet(("custom_actions",)),
}
QUERY_NAMES = (*CORE_QUERIES, *(q for s in CAPABILITY_QUERIES.values() for q in s.names))
COMMAND_NAMES = ("restore", "bill_run", "start_billing", "stop_billing", "billing_status")


def has(capability: str, queries: Collection[str]) -> bool:
    """Whether ``queries`` give ``capability`` (all its required queries)."""
    return all(q in queries for q in CAPABILITY_QUERIES[capability].required)


def _unknown(name: str, known: tuple[str, ...], what: str) -> str:
    close = suggest(name, known)
    return (f"unknown {what} (known: {', '.join(known)})"
            + (f" — did you mean '{close}'?" if close else ""))


def query_problems(queries: Collection[str]) -> list[tuple[Loc, str]]:
    """What is wrong with a SQL target's query names, located under ``target.queries``
    (``("acount",)``, or ``()`` for the section); [] when nothing is."""
    found: list[tuple[Loc, str]] = [((q,), _unknown(q, QUERY_NAMES, "query"))
                                    for q in queries if q not in QUERY_NAMES]
    missing = [q for q in CORE_QUERIES if q not in queries]
    if missing:
        found.append(((), f"missing the core quer{'y' if len(missing) == 1 else 'ies'} "
                          f"{', '.join(missing)} (every SQL target answers "
                          f"{', '.join(CORE_QUERIES)})"))
    for capability, wanted in CAPABILITY_QUERIES.items():
        given = [q for q in wanted.names if q in queries]
        lacking = [q for q in wanted.required if q not in queries]
        if given and lacking:
            found.append(((given[0],), f"the {capability} capability needs "
                                       f"{' and '.join(wanted.required)}: add "
                                       f"{', '.join(lacking)}, or leave out {', '.join(given)} "
                                       f"(then the target has no {capability})"))
    return found


def command_problems(commands: Collection[str]) -> list[tuple[Loc, str]]:
    """Unknown command names, located under ``target.commands``."""
    return [((c,), _unknown(c, COMMAND_NAMES, "command")) for c in commands
            if c not in COMMAND_NAMES]
