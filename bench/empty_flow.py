"""The registration flow with the work taken out: the same form page, byte for byte (saved by
bench/load.py in BENCH_FORM_PAGE), and a 303 for every POST. Served like eventapp, it is the
most the load generator and gunicorn allow for the flow on this machine; the registration
figure's distance to it is what eventapp itself costs."""

import os
from pathlib import Path

from flask import Flask, redirect

app = Flask(__name__)
PAGE = Path(os.environ["BENCH_FORM_PAGE"]).read_text(encoding="utf-8")
SLUG = os.environ.get("BENCH_SLUG", "bench-day")


@app.get("/")
def ready() -> str:
    return "ready"


@app.get(f"/events/{SLUG}/register")
def form() -> str:
    return PAGE


@app.post(f"/events/{SLUG}/register")
def sent():
    return redirect("/r/no-work/", code=303)
