"""The summary's two charts as inline SVG geometry: results per checklist area, and stage
timings. Computed here, drawn by the template (`summary.html.j2`): no script, no
library, no font or file to load, and every label is escaped like any other text.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from harness.record import Outcome, RunRecord
from harness.reports.labels import LABELS, item_label

__all__ = ["Bar", "Chart", "Segment", "area_chart", "area_of", "stage_chart"]

WIDTH = 640
LABEL_WIDTH = 170
VALUE_WIDTH = 70
ROW = 22
BAR = 14
_TRAILING_NUMBER = re.compile(r"-\d+$")


@dataclass(frozen=True)
class Segment:
    x: float
    width: float
    label: str  # OK, NOK, … or the stage's outcome
    count: int
    css: str
    title: str  # the tooltip: what the segment stands for


@dataclass(frozen=True)
class Bar:
    label: str
    y: float
    value: str
    segments: list[Segment] = field(default_factory=list)


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    label_width: int
    bars: list[Bar]
    legend: list[tuple[str, str]]  # (label, css) of what the chart shows
    empty: str | None = None  # why there is nothing to draw


def css_of(label: str) -> str:
    return "c-" + label.lower().replace(" ", "-")


def area_of(item_id: str) -> str:
    """``CF-BILL-02`` → ``CF-BILL``: an item's area is its id without the number."""
    return _TRAILING_NUMBER.sub("", item_id) or item_id


def _plot() -> float:
    return WIDTH - LABEL_WIDTH - VALUE_WIDTH


def area_chart(record: RunRecord) -> Chart:
    """Per area, how many of its checklist items are OK, NOK, NOT RUN, …"""
    outcomes = {s.nodeid: s.outcome for s in record.scenarios}
    areas: dict[str, Counter[str]] = {}
    for status in record.checklist:
        mine = [outcomes[n] for n in status.scenarios if n in outcomes]
        areas.setdefault(area_of(status.item_id), Counter())[item_label(status, mine)] += 1
    if not areas:
        return Chart(WIDTH, ROW, LABEL_WIDTH, [], [], "no checklist coverage was computed")
    biggest = max(sum(c.values()) for c in areas.values())
    bars = []
    for row, (area, counts) in enumerate(sorted(areas.items())):
        x = float(LABEL_WIDTH)
        segments = []
        for label in LABELS:
            if counts[label]:
                width = _plot() * counts[label] / biggest
                segments.append(Segment(round(x, 1), round(width, 1), label, counts[label],
                                        css_of(label), f"{area}: {label} {counts[label]}"))
                x += width
        total = sum(counts.values())
        ok = counts["OK"] + counts["MANUAL"]
        bars.append(Bar(area, row * ROW + 4, f"{ok}/{total} ok", segments))
    used = {s.label for b in bars for s in b.segments}
    legend = [(label, css_of(label)) for label in LABELS if label in used]
    return Chart(WIDTH, len(bars) * ROW + 8, LABEL_WIDTH, bars, legend)


def _seconds(value: float) -> str:
    if value >= 60:
        return f"{int(value // 60)}m {value % 60:04.1f}s"
    return f"{value:.2f}s"


def stage_chart(record: RunRecord) -> Chart:
    """Each stage's duration, and the scenarios' summed time, on one scale."""
    rows: list[tuple[str, float, str]] = [
        (s.name, s.duration, "ok" if s.outcome.ok else s.outcome.value) for s in record.stages]
    if record.scenarios:
        ran = sum(s.duration for s in record.scenarios)
        bad = any(s.outcome in (Outcome.FAILED, Outcome.ERROR, Outcome.UNDEFINED)
                  for s in record.scenarios)
        rows.append((f"scenarios ({len(record.scenarios)}, summed)", ran,
                     "failed" if bad else "ok"))
    if not rows:
        return Chart(WIDTH, ROW, LABEL_WIDTH, [], [], "no stage was recorded")
    longest = max(seconds for _, seconds, _ in rows) or 1.0
    bars = []
    for row, (name, seconds, state) in enumerate(rows):
        width = max(_plot() * seconds / longest, 1.0)
        css = "c-ok" if state == "ok" else ("c-nok" if state in ("failed", "error")
                                            else "c-not-run")
        bars.append(Bar(name, row * ROW + 4, _seconds(seconds),
                        [Segment(float(LABEL_WIDTH), round(width, 1), state, 1, css,
                                 f"{name}: {state}, {_seconds(seconds)}")]))
    legend = [("finished", "c-ok"), ("failed", "c-nok"), ("not finished", "c-not-run")]
    return Chart(WIDTH, len(bars) * ROW + 8, LABEL_WIDTH, bars, legend)
