"""`common.redaction`: credentials disappear from any text, in every shape they take."""

from __future__ import annotations

import json

import pytest

from common.errors import GoliveError, redact
from common.redaction import redact_data, register

SECRET = "Hunter2-Secret"


@pytest.mark.parametrize(("text", "kept"), [
    (f"connect postgresql://qa:{SECRET}@db/billing failed", "postgresql://qa:***@db/billing"),
    (f"postgresql://qa@db/b?password={SECRET}&port=5", "?password=***&port=5"),
    (f"postgresql://qa@db/b?port=5&sslpassword={SECRET}", "&sslpassword=***"),
    (f"postgresql://qa@db/b?passfile=/x/{SECRET}&port=5", "?passfile=***&port=5"),
    (f"host=db password={SECRET} dbname=b", "host=db password=*** dbname=b"),
    (f"host=db password = '{SECRET} x\\' y' dbname=b", "host=db password = *** dbname=b"),
    (f"host=db sslpassword={SECRET}", "host=db sslpassword=***"),
    (f"PGPASSWORD={SECRET} psql", "PGPASSWORD=*** psql"),
    (f'{{"password": "{SECRET}", "user": "qa"}}', '{"password": "***", "user": "qa"}'),
])
def test_every_shape_is_hidden(text: str, kept: str) -> None:
    shown = redact(text)
    assert SECRET not in shown
    assert kept in shown


def test_registered_secrets_are_hidden_in_any_text_and_encoding() -> None:
    secret = "p@ss/wörd\"Z9"
    register(secret)
    for form in (secret, "p%40ss%2Fw%C3%B6rd%22Z9", json.dumps(secret)[1:-1]):
        assert "***" in redact(f"driver said: {form} was rejected"), form
        assert form not in redact(f"driver said: {form} was rejected")


def test_short_secrets_are_not_hunted_as_bare_words() -> None:
    register("pw")
    assert redact("the pwd is shown") == "the pwd is shown"
    assert redact("postgresql://qa:pw@db/b") == "postgresql://qa:***@db/b"


def test_data_is_redacted_string_by_string_so_its_structure_survives() -> None:
    data = {"error": f"password={SECRET}\", next", "list": [f"?password={SECRET}"], "n": 3}
    clean = redact_data(data)
    assert SECRET not in json.dumps(clean)
    assert clean["n"] == 3 and clean["error"].startswith("password=***")
    json.loads(json.dumps(clean))


def test_golive_errors_never_carry_a_credential() -> None:
    assert SECRET not in str(GoliveError(f"cannot connect host=db password={SECRET}"))
