"""The ceiling: a Flask "hello" served exactly like eventapp (same gunicorn, same workers)."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "hello"
