"""The report of a big run: 10,000 scenarios and 100,000 account differences.

Renders every output of a synthetic record (`bench.report_data`) and opens the page in
Chromium. Targets: the page and every output each written in at most 5 s (wall clock;
CPU time is printed beside it), the page at most 3 MB, its first contentful paint within
2 s, and scrolling through it with a p95 frame interval of at most 50 ms. The machine's
load is printed with the figures: on a shared, loaded machine the wall clock is several
times the CPU time.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import time
from pathlib import Path
from typing import Any

import orjson

from bench.report_data import Size, synthesise
from harness.browser import CHROMIUM_ARGS, chromium_path
from harness.reports import write_reports
from harness.reports.cucumber import cucumber_json
from harness.reports.html import render_html
from harness.reports.junit import render_junit
from harness.reports.tables import (
    ACCOUNT_COLUMNS,
    DEFECT_COLUMNS,
    TRACE_COLUMNS,
    account_rows,
    csv_text,
    defect_rows,
    trace_rows,
)
from harness.reports.xlsx import xlsx_bytes

RENDER_TARGET_S = 5.0
SIZE_TARGET_MB = 3.0
PAINT_TARGET_MS = 2000.0
FRAME_TARGET_MS = 50.0
VAR = Path(__file__).parent / "var" / "report"


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} core(s)"


def _timed(what: str, fn: Any) -> float:
    started, cpu = time.perf_counter(), time.process_time()
    fn()
    seconds = time.perf_counter() - started
    print(f"    {what:<22} {seconds:6.2f} s wall  {time.process_time() - cpu:6.2f} s CPU")
    return seconds


def _browser(html: Path, scroll_steps: int) -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(chromium_path()), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            started = time.perf_counter()
            page.goto(html.as_uri(), wait_until="load", timeout=120_000)
            loaded = (time.perf_counter() - started) * 1000
            paint = page.evaluate("Object.fromEntries(performance.getEntriesByType('paint')"
                                  ".map(e => [e.name, e.startTime]))")
            page.evaluate("""() => { window.__frames = []; let last = performance.now();
                const tick = t => { window.__frames.push(t - last); last = t;
                                    if (!window.__stop) requestAnimationFrame(tick); };
                requestAnimationFrame(tick); }""")
            started = time.perf_counter()
            for _ in range(scroll_steps):
                page.mouse.wheel(0, 900)
                page.wait_for_timeout(20)
            page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
            page.wait_for_timeout(300)
            scrolled = (time.perf_counter() - started) * 1000
            frames = [f for f in page.evaluate("(window.__stop = true, window.__frames)")
                      if f > 0]
        finally:
            browser.close()
    frames.sort()
    p95 = frames[int(len(frames) * 0.95) - 1] if frames else float("inf")
    return {"load_ms": loaded, "fcp_ms": float(paint.get("first-contentful-paint", -1)),
            "fp_ms": float(paint.get("first-paint", -1)), "scroll_ms": scrolled,
            "frame_p95_ms": p95, "frame_max_ms": frames[-1] if frames else float("inf"),
            "frame_median_ms": statistics.median(frames) if frames else float("inf"),
            "frames": float(len(frames))}


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def main() -> int:
    parser = argparse.ArgumentParser(prog="bench report")
    parser.add_argument("--scenarios", type=int, default=10_000)
    parser.add_argument("--differences", type=int, default=100_000)
    parser.add_argument("--no-browser", action="store_true")
    options, _ = parser.parse_known_args()
    size = Size(scenarios=options.scenarios, differences=options.differences)
    out = VAR / "run"
    shutil.rmtree(VAR, ignore_errors=True)
    print(f"  {_load()} (before)")
    started = time.perf_counter()
    record = synthesise(size, out)
    print(f"  synthesised {len(record.scenarios):,} scenarios, {len(record.accounts):,} account "
          f"differences, {len(record.failures):,} failures in "
          f"{time.perf_counter() - started:.1f} s (not timed)")
    print("  each output alone:")
    page = _timed("signoff.html", lambda: render_html(record, "bench", out))
    _timed("run.json", lambda: record.to_json())
    _timed("junit.xml", lambda: render_junit(record))
    _timed("cucumber.json", lambda: orjson.dumps(cucumber_json(record, out),
                                                 option=orjson.OPT_INDENT_2))
    _timed("traceability.csv", lambda: csv_text(TRACE_COLUMNS, trace_rows(record)))
    _timed("accounts.csv", lambda: csv_text(ACCOUNT_COLUMNS, account_rows(record)))
    _timed("traceability.xlsx", lambda: xlsx_bytes("t", TRACE_COLUMNS, trace_rows(record)))
    _timed("defects.xlsx", lambda: xlsx_bytes("d", DEFECT_COLUMNS, defect_rows(record)))
    started, cpu = time.perf_counter(), time.process_time()
    paths = write_reports(record, out, "bench")
    render, render_cpu = time.perf_counter() - started, time.process_time() - cpu
    html = paths["signoff.html"]
    megabytes = html.stat().st_size / 1e6
    sizes = ", ".join(f"{name} {p.stat().st_size / 1e6:.1f} MB" for name, p in paths.items()
                      if name not in ("signoff.html",) and p.is_file())
    print(f"  sidecars: {sizes}")
    ok = page <= RENDER_TARGET_S and render <= RENDER_TARGET_S and megabytes <= SIZE_TARGET_MB
    print(f"  the report page (signoff.html) rendered: {page:.2f} s wall (target <= "
          f"{RENDER_TARGET_S} s): {_verdict(page <= RENDER_TARGET_S)}")
    print(f"  every output written ({len(paths)} files): {render:.2f} s wall, "
          f"{render_cpu:.2f} s CPU (target <= {RENDER_TARGET_S} s wall): "
          f"{_verdict(render <= RENDER_TARGET_S)}")
    print(f"  signoff.html: {megabytes:.2f} MB (target <= {SIZE_TARGET_MB} MB): "
          f"{_verdict(megabytes <= SIZE_TARGET_MB)}")
    if not options.no_browser:
        seen = _browser(html, scroll_steps=60)
        print(f"  Chromium: first paint {seen['fp_ms']:.0f} ms, load {seen['load_ms']:.0f} ms, "
              f"{seen['frames']:.0f} frames while scrolling {seen['scroll_ms']:.0f} ms "
              f"(median {seen['frame_median_ms']:.1f} ms, max {seen['frame_max_ms']:.0f} ms)")
        paint_ok = 0 <= seen["fcp_ms"] <= PAINT_TARGET_MS
        frames_ok = seen["frame_p95_ms"] <= FRAME_TARGET_MS
        print(f"  first contentful paint: {seen['fcp_ms']:.0f} ms (target <= "
              f"{PAINT_TARGET_MS:.0f} ms): {_verdict(paint_ok)}")
        print(f"  scrolling, p95 frame interval: {seen['frame_p95_ms']:.1f} ms (target <= "
              f"{FRAME_TARGET_MS:.0f} ms): {_verdict(frames_ok)}")
        ok = ok and paint_ok and frames_ok
    print(f"  {_load()} (after)")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
