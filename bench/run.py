"""`make bench`: every hot path, as median and spread over repeated runs, with a ratio against a
baseline measured in the same run. Not part of `make test`.

    python -m bench.run [--runs N] [--only pages,…]

Set EVENTAPP_BENCH_DATABASE_URI to measure on PostgreSQL (`scripts/with-postgres.sh` sets
EVENTAPP_TEST_DATABASE_URI, which is used too).
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

from bench import allocation, csv_io, load, pages, proceedings, throughput
from bench.timing import Figure, table
from eventapp import create_app
from eventapp.extensions import db

SECTIONS = {
    "throughput": throughput.run,
    "pages": pages.run,
    "proceedings": proceedings.run,
    "csv": csv_io.run,
    "registration": load.run,
    "allocation": allocation.run,
}


def _app(folder: Path):
    uri = (
        os.environ.get("EVENTAPP_BENCH_DATABASE_URI")
        or os.environ.get("EVENTAPP_TEST_DATABASE_URI")
        or f"sqlite:///{folder / 'bench.sqlite3'}"
    )
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": uri,
            "SECRET_KEY": "bench",
            "EXPORTS_DIR": str(folder),
            "OUTBOX_DIR": str(folder / "outbox"),
            "RATELIMIT_ENABLED": False,  # the load comes from one address
        },
        instance_path=str(folder),
    )
    with app.app_context():
        db.drop_all()
        db.create_all()
    return app, uri.split(":", 1)[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--only", default=",".join(SECTIONS))
    arguments = parser.parse_args()
    figures: list[Figure] = []
    for name in arguments.only.split(","):
        with tempfile.TemporaryDirectory() as folder:
            app, database = _app(Path(folder))
            print(f"[bench] {name} on {database} …", flush=True)
            for figure in SECTIONS[name](app, arguments.runs):
                figure.name = f"{figure.name} [{database}]"
                figures.append(figure)
            with app.app_context():
                db.session.remove()
                db.drop_all()
                db.engine.dispose()
    print()
    print(table(figures))


if __name__ == "__main__":
    main()
