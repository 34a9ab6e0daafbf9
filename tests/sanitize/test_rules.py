"""Each bad rule file in bad_rules/ gives exactly its .expected message (file and line)."""

from __future__ import annotations

from pathlib import Path

import pytest

from common.errors import ConfigError
from sanitize import load_rules

BAD = Path(__file__).parent / "bad_rules"
ROOT = Path(__file__).parents[2]


@pytest.mark.parametrize("path", sorted(BAD.glob("*.yaml")), ids=lambda p: p.stem)
def test_bad_rule_file(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    with pytest.raises(ConfigError) as raised:
        load_rules(path)
    expected = path.with_suffix(".expected").read_text(encoding="utf-8").strip()
    assert str(raised.value).strip() == expected


def test_demo_rules_load() -> None:
    rules = load_rules(ROOT / "sanitize" / "rules" / "demo.yaml")
    assert "contacts" in rules.model.tables
