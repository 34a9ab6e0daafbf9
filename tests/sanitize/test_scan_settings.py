"""Scan settings: what is allowed and excluded is applied, recorded with its reason and
count, and a bad settings file is a located error, never a silent default."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from common.errors import ConfigError
from sanitize import ScanSettings, load_scan_settings, scan
from tests.sanitize.helpers import execute

BAD = Path(__file__).parents[1] / "data" / "scan" / "bad_settings"
VENDOR_FAKES = ["+1 555 010 4477", "+1 555 019 0001", "+1-555-0100-123"]


def _phones(url: str) -> None:
    execute(url, "CREATE TABLE contacts (id INTEGER PRIMARY KEY, phone VARCHAR(40), "
                 "note TEXT)")
    execute(url, "INSERT INTO contacts VALUES (:id, :phone, :note)", params=[
        *({"id": i, "phone": p, "note": "ok"} for i, p in enumerate(VENDOR_FAKES)),
        {"id": 10, "phone": "+1 415 867 5309", "note": "seed 4111 1111 1111 1111"},
    ])


def test_a_number_prefix_allows_the_vendor_scripts_own_fakes(db_url: str) -> None:
    _phones(db_url)
    assert scan(db_url).by_detector()["phone"] == len(VENDOR_FAKES) + 1
    settings = ScanSettings.model_validate({"allow_numbers": ["+1-555-01"]})
    result = scan(db_url, settings)
    assert result.by_detector()["phone"] == 1  # the real number is still residue
    assert [(a.table, a.column, a.what, a.count) for a in result.allowed] == [
        ("contacts", "phone", "+1-555-01", len(VENDOR_FAKES))]
    assert result.settings["allow_numbers"] == ["+1-555-01"]


def test_a_number_range_and_a_pattern_allow_exactly_what_they_cover(sqlite_url: str) -> None:
    _phones(sqlite_url)
    settings = ScanSettings.model_validate({
        "allow_numbers": [{"from": "4111111111111100", "to": "4111111111111199"},
                          {"from": "15550100000", "to": "15550199999"}],
        "allow_patterns": [r"\+1 415 867 \d{4}"]})
    result = scan(sqlite_url, settings)
    assert result.findings == []
    allowed = {(a.column, a.what): a.count for a in result.allowed}
    assert allowed == {("note", "4111111111111100..4111111111111199"): 1,
                       ("phone", "15550100000..15550199999"): 3,
                       ("phone", r"\+1 415 867 \d{4}"): 1}
    # without the pattern the real number is residue again; one digit more leaves the range
    assert scan(sqlite_url, settings.model_copy(update={"allow_patterns": []})
                ).by_detector() == {"phone": 1}
    execute(sqlite_url, "UPDATE contacts SET phone = '+1 555 010 44770' WHERE id = 0")
    assert scan(sqlite_url, settings).by_detector() == {"phone": 1}


def test_an_excluded_column_or_table_is_not_read_and_its_reason_is_recorded(
        sqlite_url: str) -> None:
    _phones(sqlite_url)
    execute(sqlite_url, "CREATE TABLE audit_2024 (id INTEGER PRIMARY KEY, line TEXT)",
            "INSERT INTO audit_2024 VALUES (1, 'login by jane@realmail.net')")
    settings = ScanSettings.model_validate({"exclude": [
        {"table": "contacts", "column": "ph*", "reason": "vendor fakes, checked by hand"},
        {"table": "audit_*", "reason": "dropped before go-live"},
        {"table": "gone", "reason": "kept in case it comes back"}]})
    result = scan(sqlite_url, settings)
    assert {(f.table, f.column) for f in result.findings} == {("contacts", "note")}
    dumped = result.to_dict()["excluded"]
    assert dumped == [
        {"pattern": "contacts.ph*", "reason": "vendor fakes, checked by hand",
         "matched": ["contacts.phone"]},
        {"pattern": "audit_*", "reason": "dropped before go-live", "matched": ["audit_2024"]},
        {"pattern": "gone", "reason": "kept in case it comes back", "matched": []}]
    assert result.columns == 2  # contacts.id and contacts.note; nothing of audit_2024


def test_an_exclusion_without_a_reason_is_a_validation_error() -> None:
    with pytest.raises(ValueError, match="reason"):
        ScanSettings.model_validate({"exclude": [{"table": "audit_log"}]})
    with pytest.raises(ValueError, match="say why"):
        ScanSettings.model_validate({"exclude": [{"table": "audit_log", "reason": " "}]})


CASES = sorted(p.stem for p in BAD.glob("*.yaml"))


@pytest.mark.parametrize("case", CASES)
def test_a_bad_settings_file_gives_its_expected_message(case: str,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(BAD)
    with pytest.raises(ConfigError) as raised:
        load_scan_settings(Path(f"{case}.yaml"))
    assert str(raised.value) == (BAD / f"{case}.expected").read_text(encoding="utf-8").strip()
    assert raised.value.exit_code == 2


def test_every_bad_settings_file_has_its_expected_message() -> None:
    assert {p.stem for p in BAD.glob("*.expected")} == set(CASES) and len(CASES) >= 6


def test_the_result_is_json_and_never_holds_a_value(sqlite_url: str) -> None:
    _phones(sqlite_url)
    settings = ScanSettings.model_validate({"allow_numbers": ["+1-555-01"],
                                            "exclude": [{"table": "x", "reason": "why not"}]})
    dumped = json.dumps(scan(sqlite_url, settings).to_dict())
    assert "867" not in dumped and "4111" not in dumped and "4477" not in dumped
    assert json.loads(dumped)["verdict"] == "residue"
