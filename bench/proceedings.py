"""The demo's compte-rendu: our cold generation against WeasyPrint alone on the same HTML
(our overhead), and the cached download."""

from __future__ import annotations

import shutil
from pathlib import Path

from flask import Flask

from bench.timing import Figure, repeat, summarise
from eventapp.demo import DEMO_SLUG, load_demo
from eventapp.extensions import db
from eventapp.programme import event_by_slug


def run(app: Flask, runs: int) -> list[Figure]:
    from weasyprint import HTML

    from eventapp.proceedings import proceedings_file
    from eventapp.proceedings.assembly import proceedings_html
    from eventapp.proceedings.render import ASSET_SCHEME, VARIANTS, AssetFetcher

    runs = max(5, runs // 2)
    exports = Path(app.config["EXPORTS_DIR"])
    with app.app_context():
        load_demo()
        event = event_by_slug(DEMO_SLUG)
        html = proceedings_html(event)

        def weasyprint_alone() -> None:
            document = HTML(string=html, url_fetcher=AssetFetcher(), base_url=ASSET_SCHEME)
            document.write_pdf(pdf_variant=VARIANTS["accessible"])

        def ours_cold() -> None:
            shutil.rmtree(exports, ignore_errors=True)
            exports.mkdir(parents=True, exist_ok=True)
            proceedings_file(event_by_slug(DEMO_SLUG))

        alone, alone_spread = summarise(repeat(weasyprint_alone, runs=runs, warmup=1))
        cold, cold_spread = summarise(repeat(ours_cold, runs=runs, warmup=1))
        db.session.remove()
    client = app.test_client()
    url = f"/events/{DEMO_SLUG}/proceedings.pdf"
    assert client.get(url).status_code == 200
    cached, cached_spread = summarise(repeat(lambda: client.get(url), runs=runs * 4))
    return [
        Figure("WeasyPrint alone, demo HTML", alone, alone_spread, "ms", note="baseline"),
        Figure(
            "compte-rendu PDF, cold (assemble + render + cache)",
            cold,
            cold_spread,
            "ms",
            alone,
            f"overhead {100 * (cold - alone) / alone:+.1f}%",
        ),
        Figure("compte-rendu PDF, cached download", cached, cached_spread, "ms", alone),
    ]
