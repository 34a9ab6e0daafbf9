"""No credential survives into anything a run writes or prints, in any form a DSN gives it.

A whole ``golive run`` on the demo on PostgreSQL (20 accounts), with production and
staging each naming its password another way — in the URL, as ``?password=``,
``?sslpassword=``, ``?passfile=``, and in a libpq keyword/value string. The profile reads
the DSNs from the environment, so afterwards every file of the project (run folder, state
folder, backups, the demo's service logs) and the command's output are searched for each
secret: none may be there. The throwaway server trusts its socket, so the secrets are
sent but never needed: what is tested is where they end up.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from sqlalchemy.engine import make_url

from tests.pg import PgServer

ROOT = Path(__file__).resolve().parents[2]
GOLIVE = str(Path(sys.executable).parent / "golive")

Form = Callable[[PgServer, str, str], str]
FORMS: dict[str, Form] = {
    "url password": lambda pg, db, s:
        f"postgresql://postgres:{s}@/{db}?host={pg.socket_dir}&port={pg.port}",
    "?password=": lambda pg, db, s:
        f"postgresql://postgres@/{db}?host={pg.socket_dir}&port={pg.port}&password={s}",
    "?sslpassword=": lambda pg, db, s:
        f"postgres://postgres@/{db}?host={pg.socket_dir}&port={pg.port}&sslpassword={s}",
    "?passfile=": lambda pg, db, s:
        f"postgresql://postgres@/{db}?passfile=/nonexistent/{s}&host={pg.socket_dir}"
        f"&port={pg.port}",
    "keyword/value": lambda pg, db, s:
        f"host={pg.socket_dir} port={pg.port} dbname={db} user=postgres password='{s}'",
}
# (production's form, staging's form): every form at least once, on either side
PAIRS = [("url password", "?password="), ("?sslpassword=", "keyword/value"),
         ("keyword/value", "?passfile=")]


def project(base: Path, production: str, staging: str) -> Path:
    """The demo profile with its DSNs from the environment, 20 accounts."""
    root = base / "project"
    for folder in ("checklists", "features"):
        shutil.copytree(ROOT / folder, root / folder)
    # not under sanitize/: `python -m pytest` puts the project first on sys.path, and a
    # sanitize/ folder there would shadow golive's own (editable) sanitize package
    (root / "rules").mkdir(parents=True)
    shutil.copy(ROOT / "sanitize" / "rules" / "demo.yaml", root / "rules")
    data = yaml.safe_load((ROOT / "golive.yaml").read_text(encoding="utf-8"))
    data["sanitize"]["rules"] = "rules/demo.yaml"
    data["environments"]["production"]["dsn"] = "${PRODUCTION_DSN}"
    data["environments"]["staging"]["dsn"] = "${STAGING_DSN}"
    data["backup"] = {"path": "var/backups/pre-bill-run.manifest.json",
                      "generate": {"accounts": 20, "seed": 42}}
    (root / "golive.yaml").write_text(yaml.safe_dump(data, sort_keys=False), "utf-8")
    return root


def everything_written(*folders: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for folder in folders for p in sorted(folder.rglob("*"))
            if p.is_file() and not p.is_symlink()}


@pytest.mark.postgres
@pytest.mark.parametrize(("production_form", "staging_form"), PAIRS)
def test_no_output_of_a_whole_run_holds_a_password(pg_server: PgServer, tmp_path: Path,
                                                   production_form: str,
                                                   staging_form: str) -> None:
    production_secret = f"ProdSecret{secrets.token_hex(6)}"
    staging_secret = f"StagSecret{secrets.token_hex(6)}"
    prod_db = str(make_url(pg_server.create_database("prod")).database)
    stag_db = str(make_url(pg_server.create_database("stag")).database)
    production = FORMS[production_form](pg_server, prod_db, production_secret)
    staging = FORMS[staging_form](pg_server, stag_db, staging_secret)
    root = project(tmp_path, production, staging)
    home = tmp_path / "demo-home"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "GOLIVE_"))}
    env.update({"PRODUCTION_DSN": production, "STAGING_DSN": staging, "DEMO_HOME": str(home),
                "GOLIVE_SANITIZE_SALT": "secrets-test-salt"})
    done = subprocess.run([GOLIVE, "run", "-n", "2"], cwd=root, env=env, capture_output=True,
                          text=True, timeout=1500, check=False)
    output = done.stdout + done.stderr
    assert done.returncode in (0, 1), output

    run_json = root / "reports" / "latest" / "run.json"
    record = json.loads(run_json.read_text(encoding="utf-8"))
    # the run went all the way: every output a complete run writes is there to search
    assert record["status"] == "complete", output
    assert {s["outcome"] for s in record["stages"]} == {"passed"}, record["stages"]
    assert record["scenarios"] and (root / "reports" / "latest" / "signoff.html").is_file()
    assert (root / "reports" / ".state").is_dir()  # the reuse marker and pytest's cache
    assert any(p.name.startswith("prepared-") for p in (root / "reports" / ".state").iterdir())
    # and the DSNs were really used, shown masked
    restore = next(s for s in record["stages"] if s["name"] == "restore")
    assert restore["evidence"]["database"].startswith("postgresql")

    files = everything_written(root, home)
    assert len(files) > 20
    for secret in (production_secret, staging_secret):
        assert secret not in output
        leaked = [str(p.relative_to(tmp_path)) for p, data in files.items()
                  if secret.encode() in data]
        assert not leaked, f"{secret} found in {leaked}"
