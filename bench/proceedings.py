"""The demo's compte-rendu: our cold generation against WeasyPrint alone on the same HTML
(our overhead), and the cached download.

The two are measured in turns (WeasyPrint alone, then ours, again and again), and the
overhead is the median of each pair's ratio: measured as two blocks one after the other, a
change of the machine's load between the blocks read as an overhead of −55 % to +34 % in
three runs on a busy machine. The time our call spends outside WeasyPrint (loading the event,
assembling and hashing the HTML, writing the file) is measured inside that same call too,
so that no change of load between two calls enters it.
"""

from __future__ import annotations

import shutil
import statistics
import time
from pathlib import Path

from flask import Flask

from bench.timing import Figure, repeat, summarise
from eventapp.demo import DEMO_SLUG, load_demo
from eventapp.extensions import db
from eventapp.programme import event_by_slug


def _spread(values: list[float]) -> float:
    if len(values) < 4:
        return 0.0
    q1, _, q3 = statistics.quantiles(values, n=4)
    return (q3 - q1) / 2


def run(app: Flask, runs: int) -> list[Figure]:
    from weasyprint import HTML

    import eventapp.proceedings.render as render
    from eventapp.proceedings import proceedings_file
    from eventapp.proceedings.assembly import proceedings_html
    from eventapp.proceedings.render import ASSET_SCHEME, VARIANTS, AssetFetcher

    runs = max(5, runs // 2)
    exports = Path(app.config["EXPORTS_DIR"])
    rendering = {"seconds": 0.0}
    render_pdf = render.render_pdf

    def timed_render(*args, **kwargs):
        started = time.perf_counter()
        try:
            return render_pdf(*args, **kwargs)
        finally:
            rendering["seconds"] += time.perf_counter() - started

    with app.app_context():
        load_demo()
        event = event_by_slug(DEMO_SLUG)
        html = proceedings_html(event)

        def weasyprint_alone() -> float:
            started = time.perf_counter()
            document = HTML(string=html, url_fetcher=AssetFetcher(), base_url=ASSET_SCHEME)
            document.write_pdf(pdf_variant=VARIANTS["accessible"])
            return time.perf_counter() - started

        def ours_cold() -> tuple[float, float]:
            """Seconds in all, and outside WeasyPrint."""
            shutil.rmtree(exports, ignore_errors=True)
            exports.mkdir(parents=True, exist_ok=True)
            rendering["seconds"] = 0.0
            started = time.perf_counter()
            proceedings_file(event_by_slug(DEMO_SLUG))
            took = time.perf_counter() - started
            return took, took - rendering["seconds"]

        render.render_pdf = timed_render
        try:
            weasyprint_alone()
            ours_cold()  # warm-up: templates compiled, fonts read once
            alone, cold, outside = [], [], []
            for _ in range(runs):  # in turns: a change of load falls on both alike
                alone.append(weasyprint_alone() * 1000)
                total, besides = ours_cold()
                cold.append(total * 1000)
                outside.append(besides * 1000)
        finally:
            render.render_pdf = render_pdf
        db.session.remove()
    client = app.test_client()
    url = f"/events/{DEMO_SLUG}/proceedings.pdf"
    assert client.get(url).status_code == 200
    cached, cached_spread = summarise(repeat(lambda: client.get(url), runs=runs * 4))
    median_alone = statistics.median(alone)
    paired = [100 * (ours - base) / base for base, ours in zip(alone, cold, strict=True)]
    return [
        Figure("WeasyPrint alone, demo HTML", median_alone, _spread(alone), "ms", note="baseline"),
        Figure(
            "compte-rendu PDF, cold (assemble + render + cache)",
            statistics.median(cold),
            _spread(cold),
            "ms",
            median_alone,
            f"overhead {statistics.median(paired):+.1f}% (median of {runs} pairs, "
            f"spread ±{_spread(paired):.1f})",
        ),
        Figure(
            "compte-rendu PDF, cold: time outside WeasyPrint",
            statistics.median(outside),
            _spread(outside),
            "ms",
            median_alone,
            f"{100 * statistics.median(outside) / median_alone:.1f}% of WeasyPrint alone",
        ),
        Figure("compte-rendu PDF, cached download", cached, cached_spread, "ms", median_alone),
    ]
