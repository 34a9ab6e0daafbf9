"""The sinks are real servers: mail sent with smtplib and POSTs sent with urllib arrive."""

from __future__ import annotations

import json
import smtplib
import urllib.request
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from email.policy import default as default_policy

import pytest

from harness.sinks import HttpSink, SmtpSink, subject_of


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


SUBJECTS = [
    b"From: a@x\r\nSubject: Invoice INV-0042\r\n\r\nbody",
    b"Subject: plain\r\n folded  line\r\nFrom: a\r\n\r\nbody",
    b"From: a\r\nsubject: lower =?utf-8?q?caf=C3=A9?=\r\n\r\nbody\r\nSubject: no",
    b"Subject: =?utf-8?b?w7xiZXI=?= =?utf-8?q?_und_=C3=A9?=\r\n\tmore\r\n\r\n",
    b"From: a\r\n\r\nSubject: in the body",
    b"Subject: one\r\nSubject: two\r\n\r\n",
    "Subject: raw ütf-8, not encoded\r\n\r\n".encode(),
    b"no headers at all",
    b"",
    b"Subject: only a header, no newline",
    b"Subject: lf only\n continued\nX: y\n\nbody",
    b"From: a\r\ngarbage line\r\nSubject: after a body line\r\n\r\n",
    b"From sender Tue Nov  3 10:00:00 2026\r\nSubject: mbox\r\n\r\n",
    b" Subject: leading blank\r\n\r\n",
    b"Subject:\r\n\r\n",
    b"Subject : space before the colon\r\n\r\n",
    b"Subject: =?bogus?x?broken?=\r\n\r\n",
    b"X-Long: " + b"a" * 5000 + b"\r\nSubject: after a long header\r\n\r\n" + b"b" * 100000,
]


@pytest.mark.parametrize("raw", SUBJECTS)
def test_the_subject_is_what_the_email_package_reads(raw: bytes) -> None:
    """The sink parses only the Subject's lines (the whole header block cost it most of its
    time per message): it must read exactly what parsing the whole message reads."""
    whole = BytesHeaderParser(policy=default_policy).parsebytes(raw)
    assert subject_of(raw) == str(whole.get("Subject", ""))
