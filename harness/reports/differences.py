"""``differences.csv``: every difference of the population comparison, beside the reports.

The comparison wrote the complete list while it ran (golive's state folder); the record
keeps only the first ones. This copies the complete list in; when it is gone (another
machine, a cleaned state folder) and no copy is there yet, the record's first
differences are written and the file says how many it lacks.
"""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

from harness.baseline.differences import CSV_COLUMNS, neutral
from harness.record import RunRecord

__all__ = ["write_differences"]

NAME = "differences.csv"


def write_differences(record: RunRecord, out_dir: Path) -> Path | None:
    """``out_dir/differences.csv`` for a run that compared the population, else None."""
    section = record.population
    if section is None:
        return None
    target = out_dir / NAME
    source = Path(section.csv) if section.csv else None
    if source is not None and source.is_file() and source.resolve() != target.resolve():
        tmp = target.with_name(NAME + ".tmp")
        shutil.copyfile(source, tmp)
        tmp.replace(target)
        return target
    if target.is_file():
        return target
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for d in section.differences:
        writer.writerow([neutral(v) for v in (d.dataset, d.category, "beyond tolerance",
                                              d.account, d.key, d.group, d.column, d.label,
                                              d.production, d.staging, d.delta, "")])
    lacking = section.csv_rows - len(section.differences)
    if lacking > 0:
        writer.writerow([neutral(f"# {lacking} more difference(s): the complete list "
                                 f"{section.csv} is no longer available")])
    target.write_text(out.getvalue(), encoding="utf-8")
    return target
