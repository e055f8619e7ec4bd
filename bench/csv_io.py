"""Registrations in and out: import of 5,000 from CSV (through the registration rules) and the
organisers' CSV export of 5,000."""

from __future__ import annotations

import csv
import io
import re
import time

from flask import Flask

from bench.make_large_event import make_large_event
from bench.pages import _organiser_client
from bench.timing import Figure, summarise
from eventapp.extensions import db

PEOPLE = 5000


def _csv(workshop_ids: list[int]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["first_name", "last_name", "email", "organisation", "job_title", "workshops"])
    for n in range(PEOPLE):
        writer.writerow(
            [f"Prénom{n}", f"Nom{n}", f"import{n}@example.org", "CPAS", "", workshop_ids[n % 2]]
        )
    return out.getvalue().encode()


def run(app: Flask, runs: int) -> list[Figure]:
    from eventapp.interop.registrations import import_registrations
    from eventapp.registration.export import registrations_csv

    figures = []
    with app.app_context():
        app.config["MAIL_SUPPRESS_DELIVERY"] = True
        exported = make_large_event("csv-export")
        times = []
        for _ in range(max(3, runs // 3)):
            start = time.perf_counter()
            registrations_csv(exported)
            times.append(time.perf_counter() - start)
        median, spread = summarise(times)
        figures.append(Figure("CSV export of 5,000 registrations", median, spread, "ms"))

        # One import: it creates 5,000 registrations (a second one would only update them).
        target = make_large_event("csv-import", days=1, rooms=2, items=2, speakers=4,
                                  registrations=0)  # fmt: skip
        data = _csv([item.id for item in target.items])
        start = time.perf_counter()
        report = import_registrations(target, data, dry_run=False)
        elapsed = time.perf_counter() - start
        figures.append(
            Figure(
                "CSV import of 5,000 registrations",
                elapsed * 1000,
                0.0,
                "ms",
                note=f"one run; {report.summary()}; {1000 * elapsed / PEOPLE:.2f} ms a person",
            )
        )
        db.session.remove()

        # The organiser's upload page, as served by gunicorn (mails left to the watcher):
        # it must answer well within the 60 s worker timeout.
        upload = make_large_event("csv-upload", days=1, rooms=2, items=2, speakers=4,
                                  registrations=0)  # fmt: skip
        url = f"/admin/events/{upload.id}/registrations/import"
        data = _csv([item.id for item in upload.items])
        db.session.remove()
    app.config.update(MAIL_DELIVERY="worker", WTF_CSRF_ENABLED=False)
    client = _organiser_client(app)
    for dry_run in (True, False):
        form = {"file": (io.BytesIO(data), "inscriptions.csv")} | (
            {"dry_run": "y"} if dry_run else {}
        )
        start = time.perf_counter()
        answer = client.post(url, data=form, content_type="multipart/form-data")
        elapsed = time.perf_counter() - start
        summary = re.search(r"data-summary>([^<]*)<", answer.text)
        figures.append(
            Figure(
                "CSV upload page, 5,000 lines" + (", dry run" if dry_run else ""),
                elapsed * 1000,
                0.0,
                "ms",
                note=f"one run; HTTP {answer.status_code}; "
                f"{summary.group(1) if summary else 'no report'}",
            )
        )
    return figures
