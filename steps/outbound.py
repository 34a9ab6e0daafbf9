"""Steps about lock-down (seeds/002: "emails won't go out … switches cannot be provisioned").

Two witnesses again: what the platform says the bill run sent (`Target`) and
what golive's sinks captured (``golive.outbound``, shaped as documented in
`harness.outbound`). A captured recipient is known only masked and as a
digest, so the contact address is compared by digest, never printed.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from typing import Any

from pytest_bdd import then

from harness.outbound import digest, mask_address, sink_addresses, unredirected
from harness.pytest.context import GoliveContext
from harness.targets.base import CapabilityMissing, require
from harness.targets.views import BillRunView
from steps.needs import needs


def _section(golive: GoliveContext, key: str) -> Any:
    assert key in golive.outbound, (
        f"lock-down recorded no {key!r}: the sinks did not run in this session, so nothing "
        "can be said about what left staging"
    )
    return golive.outbound[key]


def _invoices(golive: GoliveContext, bill_run: BillRunView) -> list[dict[str, Any]]:
    """Each invoice of the bill run and whom it should go to: as lock-down took it right
    after the bill run (scenarios may change contacts later), else as staging has it now."""
    taken = golive.outbound.get("invoices")
    if isinstance(taken, list):
        return [i for i in taken if isinstance(i, dict)]
    mails = require(golive.target.outbound, "outbound").invoice_mails(bill_run.id)
    if mails is None:
        raise CapabilityMissing("invoice_mails")
    return [{"invoice": m.invoice, "account": m.account,
             "contact": mask_address(m.contact) if m.contact else None,
             "contact_digest": digest(m.contact) if m.contact else None}
            for m in mails]


_WORD = re.compile(r"[\w-]+")
_EDGES = "\"'()[]{}<>,;:.!?"


def _words(subject: str) -> set[str]:
    """What an invoice number can be in a subject: a run of word characters and hyphens
    (``INV-0042``), or a whole blank-separated word without its punctuation
    (``2026/11/0042``)."""
    whole = {w.strip(_EDGES) for w in subject.split()}
    return {*_WORD.findall(subject), *(w for w in whole if w)}


def _by_number(mails: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Each word of every subject → the mails whose subject has it: an invoice number is
    found in one lookup, so matching n invoices against m mails costs n + m, not n × m."""
    index: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for mail in mails:
        for word in _words(str(mail.get("subject", ""))):
            index[word].append(mail)
    return index


@then("nothing escaped golive's sinks")  # golive's own sinks: needs no target capability
def nothing_escaped(golive: GoliveContext) -> None:
    """What lock-down recorded: a platform whose channels the profile redirects
    (lockdown.channels) is checked like one whose target redirects them; without
    lock-down there is no evidence, and the step fails."""
    _section(golive, "sinks")
    escaped = list(_section(golive, "escaped") or [])
    assert not escaped, f"{len(escaped)} escape(s):\n  " + "\n  ".join(map(str, escaped))


@needs("outbound")
@then("the SMTP sink captured one invoice email per invoice of the bill run")
def one_mail_per_invoice(golive: GoliveContext, bill_run: BillRunView) -> None:
    mails: list[dict[str, Any]] = list(_section(golive, "mail"))
    invoices = [str(i.get("invoice")) for i in _invoices(golive, bill_run)]
    assert invoices, f"bill run #{bill_run.id} made no invoice: nothing to check"
    golive.attach_text("mail", f"{len(mails)} email(s) the SMTP sink captured",
                       "\n".join(f"{', '.join(map(str, m.get('recipients') or []))}: "
                                 f"{m.get('subject', '')}" for m in mails) or "none")
    index = _by_number(mails)
    seen = Counter({number: len(index.get(number, ())) for number in invoices})
    missing = sorted(n for n, c in seen.items() if c == 0)
    doubled = sorted(n for n, c in seen.items() if c > 1)
    assert not missing and not doubled, (
        f"bill run #{bill_run.id}: {len(invoices)} invoices, {len(mails)} emails captured"
        + (f"; {len(missing)} invoice(s) never reached the SMTP sink, e.g. {missing[:5]}"
           if missing else "")
        + (f"; {len(doubled)} invoice(s) emailed more than once, e.g. {doubled[:5]}"
           if doubled else "")
    )


@needs("outbound")
@then("each invoice email went to the account's primary contact address")
def mailed_to_contact(golive: GoliveContext, bill_run: BillRunView) -> None:
    mails: list[dict[str, Any]] = list(_section(golive, "mail"))
    wrong: list[str] = []
    index = _by_number(mails)
    for invoice in _invoices(golive, bill_run):
        number, account = str(invoice.get("invoice")), invoice.get("account")
        want = invoice.get("contact_digest")
        if not want:
            wrong.append(f"{number} ({account}): the account has no primary contact address")
            continue
        for mail in index.get(number, ()):
            if list(mail.get("recipient_digests") or []) != [want]:
                got = ", ".join(map(str, mail.get("recipients") or [])) or "nobody"
                wrong.append(f"{number} ({account}): sent to {got}, not to the primary "
                             f"contact {invoice.get('contact')}")
    assert not wrong, f"{len(wrong)} invoice email(s) went astray:\n  " + "\n  ".join(wrong[:10])


@needs("outbound")
@then("every outbound endpoint of staging points at a golive sink")
def endpoints_at_sinks(golive: GoliveContext) -> None:
    sinks = sink_addresses(_section(golive, "sinks"))
    endpoints = require(golive.target.outbound, "outbound").endpoints()
    assert endpoints, "staging lists no outbound endpoint: lock-down cannot be confirmed"
    left = unredirected(endpoints, sinks)
    assert not left, "outbound endpoint(s) not at a golive sink:\n  " + "\n  ".join(
        e.text for e in left)
