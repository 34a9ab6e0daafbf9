"""Run ids stay inside the reports folder; ``latest`` is replaced only when it is golive's."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from harness.record import new_run_id
from harness.reports import write_reports
from harness.reports.latest import MARKER, foreign_latest, update_latest
from harness.runid import RunIdError, check_run_id
from tests.harness.gate_records import good_record

BAD_IDS = ["../../x", "/abs/path", "a/b", "..", ".", "", "a" * 101, "latest", "LATEST",
           ".state", "-rf", "a\\b", "a b", "run\n2", "ä", "a\x00b"]


@pytest.mark.parametrize("run_id", BAD_IDS, ids=repr)
def test_a_run_id_that_is_not_one_safe_folder_name_is_refused(run_id: str) -> None:
    with pytest.raises(RunIdError, match="one folder name inside the reports folder") as info:
        check_run_id(run_id)
    assert info.value.exit_code == 2


@pytest.mark.parametrize("run_id", ["20261101T020000Z-ab12", "release-1.1_rc2", "a" * 100,
                                    "x", "1.1"])
def test_ordinary_run_ids_pass(run_id: str) -> None:
    assert check_run_id(run_id) == run_id


def test_golive_s_own_run_ids_pass() -> None:
    assert check_run_id(new_run_id()) is not None


# -- latest --------------------------------------------------------------------------------
def _run(reports: Path, name: str) -> Path:
    out = reports / name
    write_reports(good_record(), out)
    return out


def test_a_users_folder_named_latest_survives_with_its_files(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    mine = reports / "latest"
    (mine / "sub").mkdir(parents=True)
    (mine / "notes.txt").write_text("mine")
    (mine / "sub" / "keep.txt").write_text("keep")
    record = good_record()
    paths = write_reports(record, reports / "run-1", latest_link=mine)
    assert "latest" not in paths
    assert (mine / "notes.txt").read_text() == "mine"
    assert (mine / "sub" / "keep.txt").read_text() == "keep"
    assert not mine.is_symlink()
    assert any("is a folder golive did not make" in n for n in record.notes)


def test_a_users_symlink_and_file_named_latest_survive(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    reports.mkdir()
    (tmp_path / "elsewhere").mkdir()
    latest = reports / "latest"
    latest.symlink_to("../elsewhere")
    assert update_latest(latest, _run(reports, "run-1")) is None
    assert os.readlink(latest) == "../elsewhere"
    latest.unlink()
    latest.write_text("mine")
    assert update_latest(latest, _run(reports, "run-2")) is None
    assert latest.read_text() == "mine"
    assert foreign_latest(latest) is not None


def test_golive_s_own_symlink_moves_on_even_when_its_run_was_deleted(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    latest = reports / "latest"
    assert update_latest(latest, _run(reports, "run-1")) == latest
    assert os.readlink(latest) == "run-1"
    assert update_latest(latest, _run(reports, "run-2")) == latest
    assert os.readlink(latest) == "run-2"
    os.rename(reports / "run-2", tmp_path / "gone")  # dangling, still golive's
    assert update_latest(latest, _run(reports, "run-3")) == latest
    assert os.readlink(latest) == "run-3"


def test_a_symlink_to_a_folder_without_a_run_is_not_golive_s(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    (reports / "photos").mkdir(parents=True)
    (reports / "latest").symlink_to("photos")
    assert update_latest(reports / "latest", _run(reports, "run-1")) is None
    assert os.readlink(reports / "latest") == "photos"


def test_the_copy_without_symlinks_is_marked_and_only_a_marked_copy_is_replaced(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_symlinks(*args: object, **kwargs: object) -> None:
        raise OSError(errno.EPERM, "symlinks not permitted")

    monkeypatch.setattr(os, "symlink", no_symlinks)
    reports = tmp_path / "reports"
    latest = reports / "latest"
    assert update_latest(latest, _run(reports, "run-1")) == latest
    assert (latest / MARKER).read_text().strip() == "run-1"
    assert update_latest(latest, _run(reports, "run-2")) == latest
    assert (latest / MARKER).read_text().strip() == "run-2"
    (latest / MARKER).unlink()  # now it looks like anybody's folder: never removed
    assert update_latest(latest, _run(reports, "run-3")) is None
    assert (latest / "run.json").is_file()


# -- no .tmp left when a write fails ------------------------------------------------------
def test_a_failed_record_write_leaves_no_tmp(tmp_path: Path) -> None:
    target = tmp_path / "run.json"
    target.mkdir()  # replacing a folder by a file fails after the .tmp was written
    with pytest.raises(OSError):
        good_record().save(target)
    assert not list(tmp_path.glob("*.tmp"))
