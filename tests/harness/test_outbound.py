"""The escape check's pure functions, and the report's Sanitizing / Outbound traffic sections."""

from __future__ import annotations

import re

from harness.outbound import (
    Escape,
    Expected,
    address,
    body_excerpt,
    digest,
    mask_address,
    public_url,
    shortfalls,
    sink_addresses,
    unredirected,
)
from harness.record import RunRecord
from harness.reports import render_html
from harness.sections import OutboundSection
from harness.targets.views import OutboundEndpoint

SINKS = {"smtp": "smtp://127.0.0.1:2525", "http": "http://127.0.0.1:8001",
         "payment": "http://127.0.0.1:8002"}


def test_address_normalises_default_ports_and_localhost() -> None:
    assert address("smtp://mail.example") == "mail.example:25"
    assert address("https://gw.example/charge") == "gw.example:443"
    assert address("http://localhost:8001/x") == "127.0.0.1:8001"
    assert address("http://user:pw@HOST.example:81/") == "host.example:81"


def test_public_url_drops_credentials() -> None:
    assert public_url("http://admin:s3cret@prov.example:8080/a?b=1") == \
        "http://prov.example:8080/a?b=1"
    assert public_url("smtp://mail.example:25") == "smtp://mail.example:25"


def test_unredirected_names_every_endpoint_not_at_a_sink() -> None:
    endpoints = [
        OutboundEndpoint("mail", "mail", "smtp://127.0.0.1:2525"),
        OutboundEndpoint("provisioning", "provisioning:tv", "http://127.0.0.1:8001/tv"),
        # loopback, but not a golive sink: still an escape
        OutboundEndpoint("provisioning", "provisioning:voice", "http://127.0.0.1:9999/v"),
        OutboundEndpoint("payment", "payment:card:cardpay",
                         "https://key:hunter2@gateway.cardpay.example/charge"),
    ]
    found = unredirected(endpoints, sink_addresses(SINKS))
    assert [(e.kind, e.name) for e in found] == [
        ("provisioning", "provisioning:voice"), ("payment", "payment:card:cardpay")]
    assert found[1].url == "https://gateway.cardpay.example/charge"
    assert all("hunter2" not in e.text for e in found)
    assert "gateway.cardpay.example:443" in found[1].text


def test_shortfalls_say_what_never_reached_which_sink() -> None:
    section = OutboundSection(sinks=SINKS, mail=[{}] * 3, http=[{}] * 2, payment=[{}] * 4)
    assert shortfalls(Expected(1, invoices=3, provisioning=2, payments=4, mail=3,
                               per_invoice=True), section) == []
    found = shortfalls(Expected(1, invoices=248, provisioning=5, payments=4, mail=248,
                                per_invoice=True), section)
    assert [e.kind for e in found] == ["mail", "provisioning"]
    assert found[0].reason.startswith("245 invoice email(s) of bill run #1 never reached the "
                                      "SMTP sink")
    assert "sent them elsewhere" in found[0].reason
    assert found[0].when == "after the bill run"
    assert found[1].reason.startswith("3 provisioning request(s) of bill run #1")


def test_shortfalls_count_payments_on_the_http_sink_without_a_sandbox() -> None:
    shared = {**SINKS, "payment": SINKS["http"]}
    section = OutboundSection(sinks=shared, mail=[], http=[{}] * 3)
    assert shortfalls(Expected(2, invoices=0, provisioning=2, payments=1), section) == []
    found = shortfalls(Expected(2, invoices=0, provisioning=2, payments=2), section)
    assert len(found) == 1 and found[0].reason.startswith("1 provisioning request(s)")


def test_mask_digest_and_excerpt_keep_secrets_out() -> None:
    assert mask_address("bob@example.com") == "b***@example.com"
    assert mask_address("not-an-address") == "***"
    assert digest("Bob@Example.com ") == digest("bob@example.com")
    assert digest("bob@example.com") != digest("bo@example.com")
    text = body_excerpt({"api_key": "sk_live_123", "card_number": "4111 1111 1111 1111",
                         "note": "pan 4111111111111111 here", "amount": "12.50"})
    assert "sk_live_123" not in text and "4111" not in text
    assert "amount: 12.50" in text
    assert len(body_excerpt({"x": "y" * 500}, limit=50)) == 50


def _record(**sections: object) -> RunRecord:
    """A record whose sections are read from ``sections`` as run.json holds them."""
    data = RunRecord(run_id="r1", started_at="2026-11-01T00:00:00", profile="golive.yaml",
                     target="demo").to_dict()
    return RunRecord.from_dict({**data, **sections})


def test_report_renders_outbound_traffic_escaped() -> None:
    escape = Escape("mail", "invoice emails", "", "245 invoice email(s) of bill run #1 never "
                    "reached the SMTP sink <b>elsewhere</b>", "after the bill run")
    outbound = {
        "sinks": SINKS,
        "redirected": {"mail": {"from": "smtp://user:pw@smtp.mail.isp.example:587",
                                "to": "smtp://127.0.0.1:2525"}},
        "mail": [{"recipients": ["b***@example.com"], "subject": "<script>alert(1)</script>",
                  "size": 321}] + [{"recipients": ["raw@example.com"], "subject": "s",
                                    "size": 1}] * 30,
        "http": [{"method": "POST", "path": "/provisioning/tv",
                  "body": {"account": "A1", "password": "topsecret"}}],
        "payment": [{"method": "POST", "path": "/charge", "amount": "9.99",
                     "card": "4111111111111111"}],
        "escaped": [escape.text], "escapes": [escape.to_dict()],
        "expected": {"bill_run": 1, "invoices": 276, "provisioning": 1, "payments": 1},
    }
    html = render_html(_record(outbound=outbound))
    section = html[html.index('id="outbound"'):]
    assert "ESCAPED: mail invoice emails: 245 invoice email(s)" in section
    assert "&lt;b&gt;elsewhere&lt;/b&gt;" in section and "<b>elsewhere" not in section
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in section and "<script>" not in html
    assert "smtp.mail.isp.example:587" in section and "127.0.0.1:2525" in section
    assert "pw@" not in html and "user:" not in html
    assert "Emails captured: 31" in section
    assert "raw@example.com" not in html and "r***@example.com" in html
    assert "… and 11 more." in section
    assert "/provisioning/tv" in section and "topsecret" not in html
    assert "4111111111111111" not in html and "9.99" in section
    assert 'rel="stylesheet"' not in html and not re.search(r"<script\b", html)


def test_report_renders_a_clean_outbound_and_a_missing_check() -> None:
    clean = {"sinks": SINKS, "redirected": {}, "mail": [], "http": [], "escaped": []}
    assert "nothing escaped" in render_html(_record(outbound=clean))
    unchecked = {"sinks": SINKS, "redirected": {}}
    assert "The escape check did not run" in render_html(_record(outbound=unchecked))
    assert "Lock-down recorded nothing" in render_html(_record())


def test_report_renders_sanitizing_counts_never_values() -> None:
    sanitize = {
        "enabled": True, "mode": "rules", "rules": "sanitize/rules/demo.yaml",
        "tables": [{"table": "contacts", "rows": 412}, {"table": "<notes>", "rows": 7}],
        "seconds": 1.25,
        "scan": {"clean": False, "findings": [
            {"table": "notes", "column": "body", "detector": "email", "count": 3},
            {"table": "accounts", "column": "meta", "detector": "email", "count": 2},
            {"table": "notes", "column": "body", "detector": "card", "count": 1}]},
        "residue": ["notes.body: email × 3"],
    }
    html = render_html(_record(sanitize=sanitize))
    section = html[html.index('id="sanitizing"'):html.index('id="outbound"')]
    assert "sanitize/rules/demo.yaml" in section and "1.25s" in section
    assert "<td>contacts</td><td>412</td>" in section and "&lt;notes&gt;" in section
    assert "<td>email</td><td>5</td>" in section and "<td>card</td><td>1</td>" in section
    assert "residue" in section
    disabled = render_html(_record(sanitize={"enabled": False}))
    assert "not sanitized — disabled in the profile" in disabled
    assert "No sanitize result was recorded" in render_html(_record())
