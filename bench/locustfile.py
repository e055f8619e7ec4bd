"""Load for `make bench`: people registering through the whole CSRF flow (GET the form,
POST it with the token and one workshop per round), GET / for the hello ceiling, or GET
BENCH_PATH again and again (the public pages' throughput, bench/throughput.py).

FastHttpUser (geventhttpclient): the load generator shares the two cores with the server,
and the lighter client leaves more of them to what is measured, for both alike."""

from __future__ import annotations

import os
import re
import uuid

from locust import FastHttpUser, constant, task

SLUG = os.environ.get("BENCH_SLUG", "bench-day")
MODE = os.environ.get("BENCH_MODE", "register")
PATH = os.environ.get("BENCH_PATH", "/")
TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
RADIO = re.compile(r'<input[^>]*type="radio"[^>]*name="(workshop[^"]*)"[^>]*value="(\d+)"')


class Participant(FastHttpUser):
    wait_time = constant(0)

    @task
    def act(self) -> None:
        if MODE == "hello":
            self.client.get("/", name="hello")
            return
        if MODE == "get":  # one page, again and again, as a first visit (no cookie)
            self.client.cookiejar.clear()
            self.client.get(PATH, name="GET page")
            return
        self.client.cookiejar.clear()
        form = self.client.get(f"/events/{SLUG}/register", name="GET form")
        token = TOKEN.search(form.text)
        if token is None:
            form.failure("no csrf token in the form")
            return
        rounds: dict[str, list[str]] = {}
        for name, value in RADIO.findall(form.text):
            rounds.setdefault(name, []).append(value)
        # A different theme in each round (the rooms line up, so the n-th option per round).
        choices = {
            name: values[index % len(values)] for index, (name, values) in enumerate(rounds.items())
        }
        data = {
            "csrf_token": token.group(1),
            "first_name": "Camille",
            "last_name": "Dupont",
            "email": f"{uuid.uuid4().hex}@example.org",
            "organisation": "CPAS",
            "job_title": "assistante sociale",
            "consent": "y",
            **choices,
        }
        with self.client.post(
            f"/events/{SLUG}/register",
            data=data,
            name="POST registration",
            allow_redirects=False,
            catch_response=True,
        ) as answer:
            if answer.status_code != 303:
                answer.failure(f"status {answer.status_code}")
