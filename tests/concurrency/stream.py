"""Registrations streaming into a served app, and the check that a database holds every
answered one whole: for the backup and crash tests."""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

from served import Browser
from sqlalchemy import select

from eventapp.extensions import db
from eventapp.models import OutboxMessage, Registration, RegistrationChoice


@dataclass
class Answer:
    email: str
    status: int | None  # None: the connection broke (a killed worker)
    at: float  # time.monotonic() when the answer came


@dataclass
class RegistrationStream:
    """``people`` registrations for ``item_id`` sent by ``threads`` threads, one after the
    other in each thread, until all are sent; every answer is kept."""

    port: int
    slug: str
    item_id: int
    people: int
    threads: int = 3
    answers: list[Answer] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _workers: list[threading.Thread] = field(default_factory=list)

    def start(self) -> RegistrationStream:
        for number in range(self.threads):
            thread = threading.Thread(target=self._run, args=(number,), daemon=True)
            thread.start()
            self._workers.append(thread)
        return self

    def join(self, timeout: float = 240) -> None:
        deadline = time.monotonic() + timeout
        for thread in self._workers:
            thread.join(max(0.0, deadline - time.monotonic()))
        assert not any(thread.is_alive() for thread in self._workers), "the stream hung"

    def answered(self, before: float | None = None) -> list[str]:
        """The addresses whose registration was answered 303, optionally before a time."""
        with self._lock:
            return [
                a.email
                for a in self.answers
                if a.status == 303 and (before is None or a.at < before)
            ]

    def wait_for(self, count: int, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while len(self.answered()) < count:
            assert time.monotonic() < deadline, f"only {len(self.answered())} answered"
            time.sleep(0.05)

    def _run(self, number: int) -> None:
        for index in range(number, self.people, self.threads):
            email = f"personne{index}@example.org"
            status = self._register(index, email)
            with self._lock:
                self.answers.append(Answer(email, status, time.monotonic()))

    def _register(self, index: int, email: str) -> int | None:
        person = Browser(self.port)
        try:
            status, _headers, page = person.request("GET", f"/events/{self.slug}/register")
            if status != 200:
                return None
            form = {
                "csrf_token": re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1),
                "first_name": f"Personne{index}", "last_name": "Test", "email": email,
                "consent": "y", "workshop_1": str(self.item_id),
            }  # fmt: skip
            submission = re.search(r'name="submission"[^>]*value="([^"]+)"', page)
            if submission:
                form["submission"] = submission.group(1)
            status, _headers, _page = person.request("POST", f"/events/{self.slug}/register", form)
            return status
        except OSError:
            return None


def check_whole(slug: str, answered: list[str], seats: int) -> dict[str, int]:
    """In the current app's database: every answered registration exists whole (its row, its
    choice, its mail queued or sent), no row is half there, the capacity holds and the
    waiting list keeps the order the rows were accepted in. Returns counts to report."""
    rows = db.session.scalars(
        select(Registration).where(Registration.event.has(slug=slug)).order_by(Registration.id)
    ).all()
    by_email = Counter(row.email for row in rows)
    missing = [email for email in answered if by_email[email] == 0]
    assert not missing, f"{len(missing)} answered registrations lost, e.g. {missing[:3]}"
    assert all(n == 1 for n in by_email.values()), "someone registered twice"
    choices = Counter(
        db.session.scalars(
            select(RegistrationChoice.registration_id).where(
                RegistrationChoice.registration_id.in_([row.id for row in rows])
            )
        )
    )
    half = [row.email for row in rows if choices[row.id] != 1]
    assert not half, f"registrations without their workshop choice: {half[:3]}"
    mailed = Counter(
        db.session.scalars(
            select(OutboxMessage.recipient).where(
                OutboxMessage.registration_id.in_([row.id for row in rows])
            )
        )
    )
    unmailed = [row.email for row in rows if not mailed[row.email]]
    assert not unmailed, f"registrations whose mail was never queued: {unmailed[:3]}"
    statuses = [row.status.value for row in rows]
    confirmed = statuses.count("confirmed")
    assert confirmed <= seats, f"{confirmed} confirmed for {seats} seats"
    # first come, first served: the first rows hold the seats, the waiting list follows
    assert statuses == ["confirmed"] * confirmed + ["waitlisted"] * (len(rows) - confirmed)
    if len(rows) > seats:
        assert confirmed == seats, "a seat stayed free while people wait"
    ranks = [row.waitlist_rank for row in rows if row.status.value == "waitlisted"]
    assert all(rank is not None for rank in ranks)
    assert ranks == sorted(ranks) and len(set(ranks)) == len(ranks), "waiting list reordered"
    db.session.remove()
    return {"rows": len(rows), "confirmed": confirmed, "waitlisted": len(ranks)}
