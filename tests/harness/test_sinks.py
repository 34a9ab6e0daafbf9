"""The sinks are real servers: mail sent with smtplib and POSTs sent with urllib arrive."""

from __future__ import annotations

import json
import smtplib
import urllib.request
from email.message import EmailMessage

from harness.sinks import HttpSink, SmtpSink


def test_smtp_sink_records_recipient_subject_and_size() -> None:
    with SmtpSink() as sink:
        assert sink.host == "127.0.0.1" and sink.port > 0
        msg = EmailMessage()
        msg["From"] = "billing@isp.example"
        msg["To"] = "bob@example.com"
        msg["Subject"] = "Invoice INV-20261101-1001"
        msg.set_content("Your invoice is ready.")
        with smtplib.SMTP(sink.host, sink.port, timeout=10) as smtp:
            smtp.send_message(msg)
            smtp.send_message(msg, to_addrs=["jane@example.com", "ops@example.com"])
        got = sink.captured()
    assert [m["recipients"] for m in got] == [["bob@example.com"],
                                             ["jane@example.com", "ops@example.com"]]
    assert got[0]["subject"] == "Invoice INV-20261101-1001"
    assert got[0]["mail_from"] == "billing@isp.example"
    assert got[0]["size"] > len("Your invoice is ready.")


def test_http_sink_records_posts_and_answers_json() -> None:
    with HttpSink() as sink:
        payload = {"action": "activate", "account": "1001", "service": "voice"}
        req = urllib.request.Request(
            sink.url + "/voice", data=json.dumps(payload).encode(), method="POST",
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=10) as resp:
            assert resp.status == 200
            assert json.loads(resp.read())["status"] == "ok"
        with urllib.request.urlopen(sink.url + "/health", timeout=10) as resp:
            assert resp.status == 200
        got = sink.captured()
    assert got[0]["method"] == "POST" and got[0]["path"] == "/voice"
    assert got[0]["body"] == payload
    assert got[1]["method"] == "GET" and got[1]["body"] is None


def test_two_sinks_get_different_ports() -> None:
    with SmtpSink() as a, SmtpSink() as b, HttpSink() as c, HttpSink() as d:
        assert a.port != b.port
        assert c.port != d.port


def test_smtp_sink_accepts_a_login_without_keeping_the_password() -> None:
    """A restored database keeps production's mail credentials: the sink must take them."""
    with SmtpSink() as sink:
        with smtplib.SMTP(sink.host, sink.port, timeout=10) as smtp:
            smtp.login("billing", "s3cret-pw")
            smtp.sendmail("billing@isp.example", ["bob@example.com"],
                          b"Subject: hello\r\n\r\nbody\r\n")
        got = sink.captured()
    assert got[0]["authenticated"] is True and got[0]["subject"] == "hello"
    assert "s3cret-pw" not in repr(got)
