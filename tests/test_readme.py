"""The README is a test: its command blocks work exactly as printed on a fresh clone.

Every ```sh block of README.md is preceded by a marker a reader barely sees:

    <!-- test: run -->                 run each line, in order, in a fresh copy
    <!-- test: skip: <reason> -->      not run (the reason says where it is tested)

A block without a marker fails here, so a new command cannot go unchecked.
Each line of a run block runs with bash in a fresh copy of the working tree
(the files git would clone: tracked and new, not ignored; ``.venv`` links to
this checkout's, and ``PYTHONPATH`` points at the copy, as its own editable
install would) with no ``GOLIVE_*`` variable set. A line's comment says what
it must do: ``# NO-GO: A, B`` → exit 1 and a verdict line (``golive: NO-GO …``)
naming A and B; ``# GO`` → exit 0 and ``golive: GO``; anything else → exit 0.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
_MARKER = re.compile(r"^<!-- test: (?P<what>run|skip: (?P<reason>.+\S)) -->$")
_FENCE = re.compile(r"^```(?P<info>\S*)\s*$")
_VERDICT = re.compile(r"^(?P<verdict>NO-GO|GO)\b(?::\s*(?P<names>[^—]*))?")


@dataclass(frozen=True)
class Command:
    line: int  # in README.md
    text: str  # as printed, comment included
    exit: int
    verdict: str | None  # "GO" / "NO-GO" when the comment states it
    names: tuple[str, ...]  # what the verdict line must name

    @classmethod
    def parse(cls, line: int, text: str) -> Command:
        comment = text.split(" # ", 1)[1].strip() if " # " in text else ""
        found = _VERDICT.match(comment)
        if found is None:
            return cls(line, text, 0, None, ())
        names = tuple(n.strip() for n in (found["names"] or "").split(",") if n.strip())
        verdict = found["verdict"]
        return cls(line, text, 1 if verdict == "NO-GO" else 0, verdict, names)


@dataclass(frozen=True)
class Block:
    line: int  # of the opening fence
    info: str
    marker: str | None  # "run", "skip: …" or None
    commands: tuple[Command, ...]


def blocks(text: str) -> list[Block]:
    """Every fenced block, with the marker on the closest non-blank line above it."""
    found: list[Block] = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        fence = _FENCE.match(lines[index])
        if fence is None:
            index += 1
            continue
        above = next((lines[i] for i in range(index - 1, -1, -1) if lines[i].strip()), "")
        marker = _MARKER.match(above.strip())
        end = next(i for i in range(index + 1, len(lines)) if lines[i].startswith("```"))
        commands = tuple(Command.parse(i + 1, lines[i]) for i in range(index + 1, end)
                         if lines[i].strip() and not lines[i].lstrip().startswith("#"))
        found.append(Block(index + 1, fence["info"],
                           marker["what"] if marker else None, commands))
        index = end + 1
    return found


def shell_blocks() -> list[Block]:
    return [b for b in blocks(README.read_text(encoding="utf-8")) if b.info in ("sh", "bash")]


def test_every_command_block_says_whether_it_is_run() -> None:
    unmarked = [b.line for b in shell_blocks() if b.marker is None]
    assert not unmarked, (f"README.md blocks at lines {unmarked} need <!-- test: run --> or "
                          "<!-- test: skip: reason --> on the line above")
    assert any(b.marker == "run" for b in shell_blocks()), "no README block is run"


def test_the_comment_grammar() -> None:
    command = Command.parse(3, "golive run --release X    # NO-GO: CF-BILL-02, ACC-JANE")
    assert (command.exit, command.verdict, command.names) == (1, "NO-GO",
                                                              ("CF-BILL-02", "ACC-JANE"))
    command = Command.parse(4, "golive report latest   # NO-GO — re-renders the reports")
    assert (command.exit, command.verdict, command.names) == (1, "NO-GO", ())
    assert Command.parse(5, "golive run   # GO").exit == 0
    assert Command.parse(6, "python -m demo releases   # every demo release").verdict is None


# -- running the blocks ----------------------------------------------------------------
def _tree_files() -> list[str]:
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others",
                             "--exclude-standard"], cwd=ROOT, capture_output=True, check=True)
    return [f for f in listed.stdout.decode().split("\0") if f and (ROOT / f).is_file()]


@pytest.fixture(scope="module")
def fresh_copy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """What a fresh clone of this working tree holds, sharing this checkout's venv."""
    copy = tmp_path_factory.mktemp("readme") / "golive"
    for name in _tree_files():
        target = copy / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target)
    (copy / ".venv").symlink_to(Path(sys.executable).parent.parent)
    yield copy


def _environment(copy: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("GOLIVE_", "PYTEST_", "DEMO_")) and k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(copy)  # the copy's packages, as its own editable install would
    return env


def _verdict_line(output: str) -> str:
    lines = [ln for ln in output.splitlines() if ln.startswith("golive: ")]
    return lines[-1] if lines else ""


RUN_BLOCKS = [b for b in shell_blocks() if b.marker == "run"]


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.parametrize("block", RUN_BLOCKS, ids=lambda b: f"README.md:{b.line}")
def test_readme_block_works_as_printed(block: Block, fresh_copy: Path) -> None:
    env = _environment(fresh_copy)
    for command in block.commands:
        done = subprocess.run(["bash", "-c", command.text], cwd=fresh_copy, env=env,
                              capture_output=True, text=True, timeout=900, check=False,
                              stdin=subprocess.DEVNULL)
        output = done.stdout + done.stderr
        where = f"README.md:{command.line}: {command.text}\nexit {done.returncode}\n"
        assert done.returncode == command.exit, where + output[-4000:]
        assert "Traceback" not in output, where + output[-4000:]
        if command.verdict is not None:
            line = _verdict_line(output)
            said = re.match(rf"golive: {re.escape(command.verdict)}(?= —|;| \(|$)", line)
            assert said is not None, f"{where}expected golive: {command.verdict}\n{output[-4000:]}"
            missing = [n for n in command.names if n not in line]
            assert not missing, f"{where}the verdict line does not name {missing}:\n{line}"
