"""The host detector flags hosts, URLs' hosts and IPs, and not the dotted identifiers real
platforms are full of (model names, packages, attributes, files, SQL names)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from sanitize import ScanSettings, scan
from sanitize.hosts import _psl, is_host_name
from tests.sanitize.helpers import execute

DATA = Path(__file__).parents[1] / "data" / "scan"


def _corpus(name: str) -> list[str]:
    lines = (DATA / name).read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line.strip() and not line.startswith("#")]


IDENTIFIERS = _corpus("identifiers.txt")
HOSTS = _corpus("hosts.txt")


def test_the_corpora_are_big_enough() -> None:
    assert len(IDENTIFIERS) >= 40 and len(HOSTS) >= 25
    assert not set(IDENTIFIERS) & set(HOSTS)


@pytest.mark.parametrize("value", IDENTIFIERS)
def test_a_dotted_identifier_is_not_a_host(value: str) -> None:
    assert "host" not in ScanSettings().detectors().find(value)


@pytest.mark.parametrize("value", HOSTS)
def test_a_real_host_url_or_ip_is_a_host(value: str) -> None:
    assert "host" in ScanSettings().detectors().find(value)


@pytest.mark.parametrize("value", [
    "255.255.255.0", "0.0.0.0", "127.0.0.53", "224.0.0.251", "192.0.2.10",
    "release v1.2.3.4", "16.0.1.0.0", "http://127.0.0.1:8025/", "http://[::1]/",
    "see https://example.com/x", "x.example.org",
])
def test_addresses_that_identify_nothing_are_not_hosts(value: str) -> None:
    """Netmasks, loopback, multicast, documentation ranges, versions, allowed domains."""
    assert "host" not in ScanSettings().detectors().find(value)


def test_an_allowed_host_is_not_residue() -> None:
    settings = ScanSettings(allow_hosts=["mail.vendor-isp.com", "10.20.30.40"])
    assert "host" not in settings.detectors().find("mail.vendor-isp.com")
    assert "host" not in settings.detectors().find("http://10.20.30.40/x")
    assert "host" in settings.detectors().find("radius1.isp-corp.net")


def test_the_public_suffix_list_is_never_fetched(monkeypatch: pytest.MonkeyPatch) -> None:
    """The list comes from the installed package: deciding works with no network at all."""

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the host detector tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    _psl.cache_clear()
    try:
        assert is_host_name("mail.vendor-isp.com")
        assert not is_host_name("account.tax.test")
    finally:
        _psl.cache_clear()


def test_a_scan_of_identifiers_is_clean_and_of_hosts_is_not(sqlite_url: str) -> None:
    execute(sqlite_url, "CREATE TABLE names (id INTEGER PRIMARY KEY, model TEXT)")
    execute(sqlite_url, "INSERT INTO names (model) VALUES (:v)",
            params=[{"v": v} for v in IDENTIFIERS])
    assert scan(sqlite_url).clean
    execute(sqlite_url, "INSERT INTO names (model) VALUES (:v)",
            params=[{"v": v} for v in HOSTS])
    assert scan(sqlite_url).by_detector()["host"] == len(HOSTS)
