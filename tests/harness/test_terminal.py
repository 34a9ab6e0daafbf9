"""Text from users and targets reaches the terminal as text: never markup, emoji or escapes."""

from __future__ import annotations

import pytest

from harness import cli
from harness.terminal import inert, line, out, styled

HOSTILE = ["Price [/] check", "[bold]loud", "[link=https://example.invalid]x[/link]",
           ":smile:", "[red]", "a [/red] b", "\\[escaped]"]


@pytest.mark.parametrize("text", HOSTILE)
def test_every_progress_event_shows_hostile_text_literally(text: str) -> None:
    events = [
        {"event": "message", "text": f"note: {text}"},
        {"event": "message", "text": f"[3/8] {text} …"},  # progress: the spinner only
        {"event": "stage", "name": text, "outcome": "failed", "error": text},
        {"event": "scenario", "feature": text, "name": text, "outcome": "failed",
         "error": text},
    ]
    with out.capture() as captured:
        for event in events:
            with out.status("…") as status:
                cli._show(event, status)
    shown = captured.get()
    assert f"note: {text}" in shown
    assert f"failed      {text} — {text}" in shown
    assert f"{text}: {text}" in shown


def test_escape_sequences_and_control_characters_are_removed() -> None:
    assert inert("a\x1b[2Jb\x1b]0;title\x07c\x07d\re\x00f") == "abcdef"
    assert inert("tab\tand\nnewline stay") == "tab\tand\nnewline stay"
    assert inert(None) == ""


def test_styles_come_only_from_golive() -> None:
    text = line(("NO-GO", "bold red"), " — ", "[green]GO[/green]")
    assert text.plain == "NO-GO — [green]GO[/green]"
    assert [str(span.style) for span in text.spans] == ["bold red"]
    assert styled("[/]", "red").plain == "[/]"
