"""The profile loader: good profiles load into typed objects; every bad one is reported
with file, line, key, valid values and a suggestion, never with a password.

Each malformed input is a data file in ``bad_inputs/`` with its expected message
beside it (``name.yaml`` or ``name/`` + ``name.expected``); one parametrised test
runs them all.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from common.errors import ConfigError, EnvironmentProblem, Problem, SafetyError, redact
from common.yamlsource import parse_yaml
from harness.checklists import load_checklists
from harness.config import (
    DemoTargetConfig,
    Dsn,
    Profile,
    PythonTargetConfig,
    SqlTargetConfig,
    load_profile,
)
from harness.severity import Severity

ROOT = Path(__file__).resolve().parents[2]
BAD = Path(__file__).parent / "bad_inputs"
# the core queries every SQL target has (the SQL itself is not run here)
CORE_QUERIES = """\
    account: SELECT balance FROM accounts WHERE number = :ref AND note <> '?'
    packages: SELECT 1
    transactions: SELECT 1
    invoices: SELECT 1
    events: SELECT 1
    billing_settings: SELECT 1
    latest_bill_run: SELECT 1
"""
SECRET_ENV = {"PGPASSWORD": "s3cret"}

GOOD = """\
name: good
target:
  kind: demo
environments:
  production:
    dsn: postgresql://golive:${PGPASSWORD}@db.prod.example/billing
  staging:
    dsn: postgresql://golive:${PGPASSWORD}@db.staging.example/billing
    staging: true
backup:
  path: backups/pre.dump
bill_run:
  date: 2026-11-01
"""


def write(tmp_path: Path, text: str, name: str = "golive.yaml") -> Path:
    """The profile ``text`` in ``tmp_path``, beside the folders and backup GOOD names (the
    loader checks that every reference resolves)."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    for folder in ("checklists", "features", "backups"):
        (tmp_path / folder).mkdir(exist_ok=True)
    (tmp_path / "backups" / "pre.dump").touch()
    return path


def problems_of(path: Path, **kwargs: object) -> list[Problem]:
    with pytest.raises(ConfigError) as info:
        load_profile(path, env=SECRET_ENV, **kwargs)  # type: ignore[arg-type]
    return info.value.problems


# -- the malformed inputs, one data file each --------------------------------------

CASES = sorted(p.name.removesuffix(".expected") for p in BAD.glob("*.expected"))


@pytest.mark.parametrize("case", CASES)
def test_bad_input_is_reported_with_its_expected_message(
    case: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(BAD)  # messages name files relative to the working directory
    expected = (BAD / f"{case}.expected").read_text(encoding="utf-8").rstrip("\n")
    with pytest.raises(ConfigError) as info:
        if case.startswith("profile_"):
            load_profile(Path(f"{case}.yaml"), env=SECRET_ENV)
        else:
            load_checklists(Path(case))
    assert str(info.value) == expected
    assert "s3cret" not in str(info.value)
    assert info.value.exit_code == 2


def test_every_bad_input_has_an_expected_message() -> None:
    inputs = {p.name.removesuffix(".yaml") for p in BAD.iterdir() if p.suffix != ".expected"}
    assert inputs == set(CASES)
    assert len(CASES) >= 20


# -- good profiles -------------------------------------------------------------------


def test_the_shipped_profile_loads_as_the_demo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    profile = load_profile()  # ./golive.yaml by default
    assert isinstance(profile.target, DemoTargetConfig)
    assert profile.target.release == "1.1"
    assert profile.path == ROOT / "golive.yaml"
    assert profile.environments.staging.staging is True
    assert profile.environments.production.read_only is True
    assert profile.bill_run.date == dt.date(2026, 11, 1)
    assert profile.bill_run.on_drift == "fail"
    assert "tax_rate" in profile.bill_run.must_match_production
    assert profile.gate.blocking_severities == [Severity.SEVERE, Severity.HIGH]
    assert profile.gate.account_tolerance == Decimal("0.00")
    assert profile.checklists.dir == ROOT / "checklists"
    assert profile.backup.generate is not None and profile.backup.generate.seed == 42


def test_relative_paths_and_sqlite_files_are_relative_to_the_profile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    text = GOOD.replace("postgresql://golive:${PGPASSWORD}@db.staging.example/billing",
                        "sqlite:///var/staging.db")
    profile = load_profile(write(tmp_path, text), env=SECRET_ENV)
    assert profile.environments.staging.dsn.sqlite_path == tmp_path / "var" / "staging.db"
    assert profile.backup.path == tmp_path / "backups" / "pre.dump"
    assert profile.report.dir == tmp_path / "reports"
    assert profile.root == tmp_path


def test_overrides_set_keys_from_the_command_line(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    profile = load_profile(path, {"target.release": "1.1-yearly-one-month"}, env=SECRET_ENV)
    assert isinstance(profile.target, DemoTargetConfig)
    assert profile.target.release == "1.1-yearly-one-month"
    nested = load_profile(path, {"bill_run": {"on_drift": "warn"}}, env=SECRET_ENV)
    assert nested.bill_run.on_drift == "warn"


def test_a_bad_override_is_blamed_on_the_command_line(tmp_path: Path) -> None:
    [problem] = problems_of(write(tmp_path, GOOD), overrides={"bill_run.on_drift": "never"})
    assert problem.format() == ("command line: bill_run.on_drift: 'never' is not one of "
                                "fail, warn")


def test_placeholders_read_the_environment_with_defaults(tmp_path: Path) -> None:
    text = GOOD.replace("name: good", "name: ${RUN_NAME:-nightly} $$HOME")
    profile = load_profile(write(tmp_path, text), env=SECRET_ENV)
    assert profile.name == "nightly $HOME"
    named = load_profile(write(tmp_path, text), env={**SECRET_ENV, "RUN_NAME": "rc2"})
    assert named.name == "rc2 $HOME"


def test_sql_target_with_named_queries(tmp_path: Path) -> None:
    text = GOOD.replace("  kind: demo\n", """\
  kind: sql
  release: "7.2"
  queries:
""" + CORE_QUERIES + """  commands:
    bill_run: billing-cli run --date {date}
""")
    profile = load_profile(write(tmp_path, text), env=SECRET_ENV)
    assert isinstance(profile.target, SqlTargetConfig)
    assert profile.target.queries["account"].endswith("note <> '?'")
    assert profile.target.commands["bill_run"] == "billing-cli run --date {date}"
    assert profile.target.dsn is None  # the target reads the staging database


def test_python_adapter_target_takes_free_options(tmp_path: Path) -> None:
    text = GOOD.replace("  kind: demo\n", """\
  kind: python
  adapter: mycompany.golive_adapter:PlatformTarget
  options: {api_url: "https://staging.example/api", retries: 3}
""")
    profile = load_profile(write(tmp_path, text), env=SECRET_ENV)
    assert isinstance(profile.target, PythonTargetConfig)
    assert profile.target.adapter == "mycompany.golive_adapter:PlatformTarget"
    assert profile.target.options == {"api_url": "https://staging.example/api", "retries": 3}


def test_a_sql_target_reading_production_is_refused(tmp_path: Path) -> None:
    text = GOOD.replace("  kind: demo\n", """\
  kind: sql
  dsn: postgresql://reader:${PGPASSWORD}@db.prod.example:5432/billing
  queries:
""" + CORE_QUERIES)
    [problem] = problems_of(write(tmp_path, text))
    assert (problem.line, problem.key) == (4, "target.dsn")
    assert "production" in problem.message


def test_a_profile_that_is_missing_says_so(tmp_path: Path) -> None:
    [problem] = problems_of(tmp_path / "nope.yaml")
    assert problem.message == "file not found"


def test_staging_as_the_same_sqlite_file_spelled_differently_is_refused(tmp_path: Path) -> None:
    text = GOOD.replace("postgresql://golive:${PGPASSWORD}@db.prod.example/billing",
                        f"sqlite:///{tmp_path}/var/../var/prod.db").replace(
        "postgresql://golive:${PGPASSWORD}@db.staging.example/billing", "var/prod.db")
    [problem] = problems_of(write(tmp_path, text))
    assert problem.key == "environments.staging.dsn"
    assert "production database" in problem.message


# -- secrets -------------------------------------------------------------------------


def test_a_dsn_hides_its_password_everywhere_but_reveal(tmp_path: Path) -> None:
    profile = load_profile(write(tmp_path, GOOD), env=SECRET_ENV)
    dsn = profile.environments.staging.dsn
    assert dsn.reveal() == "postgresql://golive:s3cret@db.staging.example/billing"
    for shown in (str(dsn), repr(dsn), f"{dsn}", repr(profile), str(profile),
                  profile.model_dump_json(), str(profile.model_dump(mode="json"))):
        assert "s3cret" not in shown
    assert str(dsn) == "postgresql://golive:***@db.staging.example/billing"


def test_a_dsn_identity_ignores_spelling() -> None:
    a = Dsn("postgresql+psycopg://u:p@LOCALHOST/billing")
    b = Dsn("postgresql://other@127.0.0.1:5432/billing?sslmode=require")
    assert a.same_database(b)
    assert not a.same_database(Dsn("postgresql://u:p@localhost/billing_staging"))
    assert Dsn("var/x.db").backend == "sqlite"


def test_no_error_ever_shows_a_password() -> None:
    text = "dsn postgresql://u:s3cret@h/db and host=h password=s3cret"
    assert "s3cret" not in redact(text)
    for error in (SafetyError(text), EnvironmentProblem(text),
                  ConfigError([Problem("golive.yaml", 3, "x", text)])):
        assert "s3cret" not in str(error)
    assert (SafetyError("x").exit_code, EnvironmentProblem("x").exit_code) == (2, 3)


def test_a_bad_dsn_is_reported_without_its_text(tmp_path: Path) -> None:
    text = GOOD.replace("postgresql://golive:${PGPASSWORD}@db.staging.example/billing",
                        "postgresql://golive:s3cret@db:notaport/billing")
    [problem] = problems_of(write(tmp_path, text))
    assert problem.key == "environments.staging.dsn"
    assert problem.message.startswith("not a database URL")
    assert "s3cret" not in problem.format()


# -- problem format and yaml positions ------------------------------------------------


def test_problem_format_is_one_line_with_valid_values_and_suggestion() -> None:
    problem = Problem("golive.yaml", 12, "bill_run.on_drift",
                      "'fial' is not one of fail, warn", ["fail", "warn"], "fail")
    assert problem.format() == ("golive.yaml:12: bill_run.on_drift: 'fial' is not one of "
                                "fail, warn — did you mean 'fail'?")


def test_problems_carry_valid_values_and_suggestions(tmp_path: Path) -> None:
    text = GOOD.replace("  date: 2026-11-01", "  date: 2026-11-01\n  on_drift: fial")
    text = text.replace("backup:", "backup:\n  pth: x")
    problems = problems_of(write(tmp_path, text))
    by_key = {p.key: p for p in problems}
    assert by_key["bill_run.on_drift"].valid == ["fail", "warn"]
    assert by_key["bill_run.on_drift"].suggestion == "fail"
    assert by_key["backup.pth"].suggestion == "path"
    assert by_key["backup.pth"].valid == ["path", "generate"]
    assert by_key["backup.pth"].line == 11


def test_yaml_source_keeps_the_line_of_every_key_and_item() -> None:
    source = parse_yaml("a:\n  b: 1\n  c:\n    - x\n    - {d: 2026-13-01}\non: yes\n", "f.yaml")
    assert source.data == {"a": {"b": 1, "c": ["x", {"d": "2026-13-01"}]}, "on": True}
    assert source.line(("a", "b")) == 2
    assert source.line(("a", "c", 1)) == 5
    assert source.line(("a", "c", 1, "d")) == 5
    assert source.line(("a", "missing")) == 1


def test_profile_models_are_read_only(tmp_path: Path) -> None:
    profile = load_profile(write(tmp_path, GOOD), env=SECRET_ENV)
    assert isinstance(profile, Profile)
    with pytest.raises(ValueError, match="frozen"):
        profile.bill_run.on_drift = "warn"  # type: ignore[misc]
