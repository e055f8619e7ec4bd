"""Two hosts, one database: two gunicorn servers started as a host starts them
(gunicorn.conf.py, each with its own mail watcher and its own exports folder), sharing one
database, one Redis for the rate limits and one SMTP server, behind one trusted proxy.

400 people register at once, spread over both hosts (half of them read the form on one host
and send it to the other, as a load balancer without sticky sessions does): no seat is sold
twice, and a double click sent to both hosts at once registers once. An organiser then
changes the programme through host A's form; host B serves the change on its very next
request (event page, speakers page, programme calendar, schedule export and the
compte-rendu PDF), though it had the old pages in memory and the old files in its own
exports folder. Every mail reaches the one SMTP server exactly once, though each host's
watcher delivers the outbox.

On PostgreSQL in CI's PostgreSQL pass; on SQLite otherwise (two servers of one machine
sharing its file: what SQLite allows, a second machine needs PostgreSQL).
"""

from __future__ import annotations

import http.client
import json
import re
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from datetime import timedelta
from email import message_from_bytes, policy
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import icalendar
import pytest
import redis
from aiosmtpd.controller import Controller
from factories import make_event, workshops
from helpers import visible_text
from served import (
    ON_POSTGRES,
    Browser,
    child_processes,
    free_port,
    redis_server,
    release,
    serving,
    shared_database,
)
from sqlalchemy import func, select, update

from eventapp.extensions import db
from eventapp.models import (
    ItemSpeaker,
    OutboxMessage,
    OutboxStatus,
    ProgrammeItem,
    Registration,
    RegistrationChoice,
    RegistrationStatus,
    Speaker,
    User,
)
from eventapp.models.types import utcnow

ROOT = Path(__file__).resolve().parents[2]
# The one public name both hosts are reached under (the proxies pass it on as Host).
PUBLIC = {"Host": "evenements.example.org"}
PEOPLE = 400
SEATS = 100  # in each of the round's two workshops: 200 seats for 400 people
WORKERS = 2  # per host
BACKEND = "postgresql" if ON_POSTGRES else "sqlite"

ORGANISER, PASSWORD = "organisatrice@example.org", "un mot de passe assez long"
OLD_TITLE, NEW_TITLE = "Atelier 1, tour 1", "Atelier repensé par l'hôte A"
OLD_SPEAKER, NEW_SPEAKER = "Marie Ancienne", "Ada Nouvelle"
OLD_SUMMARY = "Le résumé écrit avant la modification."
NEW_SUMMARY = "Le résumé réécrit depuis l'hôte A."
PAGES = ("/", "/speakers", "/calendar.ics", "/schedule.json", "/proceedings.pdf")


class _Forms(HTMLParser):
    """The fields of each <form> of a page, as a browser would send them unchanged."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, str]] = []
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attributes = {key: value or "" for key, value in attrs}
        name = attributes.get("name")
        if tag == "form":
            self.forms.append({})
        elif not self.forms:
            return
        elif tag == "input" and name and attributes.get("type") != "submit":
            if attributes.get("type") in ("checkbox", "radio") and "checked" not in attributes:
                return
            self.forms[-1][name] = attributes.get("value", "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.forms[-1][name] = ""
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select:
            fields = self.forms[-1]
            if self._select not in fields or "selected" in attributes:
                fields[self._select] = attributes.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea and self.forms:
            self.forms[-1][self._textarea] += data


def form_with(html: str, field: str) -> dict[str, str]:
    """The fields of the page's form that has ``field``."""
    reader = _Forms()
    reader.feed(html)
    [form] = [form for form in reader.forms if field in form]
    return form


def get_bytes(port: int, path: str, headers: dict[str, str] | None = None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        headers = {"Accept-Language": "fr", **PUBLIC, **(headers or {})}
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def pdf_text(data: bytes) -> str:
    done = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True
    )
    return " ".join(done.stdout.decode().split())


def calendar_titles(data: bytes) -> set[str]:
    calendar = icalendar.Calendar.from_ical(data)
    return {str(component["SUMMARY"]) for component in calendar.walk("VEVENT")}


def what_is_served(port: int, slug: str) -> dict[str, str]:
    """What a visitor of this host reads on each page (the PDF's and calendar's text)."""
    seen = {}
    for page in PAGES:
        status, _headers, body = get_bytes(port, f"/events/{slug}{page}")
        assert status == 200, (port, page, status)
        if page.endswith(".pdf"):
            seen[page] = pdf_text(body)
        elif page.endswith(".ics"):
            seen[page] = " | ".join(sorted(calendar_titles(body)))
        elif page.endswith(".json"):
            seen[page] = json.dumps(json.loads(body), ensure_ascii=False)
        else:
            seen[page] = " ".join(visible_text(body.decode()).split())
    return seen


class Sink:
    """The SMTP server both hosts hand their mails to; keeps every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[bytes] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope) -> str:
        with self._lock:
            self.messages.append(envelope.content)
        return "250 Message accepted for delivery"

    def received(self) -> list[tuple[int, int, object]]:
        """(outbox row id, the sending process, the message) of each mail received."""
        found = []
        with self._lock:
            messages = list(self.messages)
        for data in messages:
            message = message_from_bytes(data, policy=policy.default)
            # make_msgid: <time.pid.random.outbox-<row id>@eventapp>
            _time, pid, rest = message["Message-ID"].strip("<>").split(".", 2)
            found.append((int(rest.split("outbox-")[1].split("@")[0]), int(pid), message))
        return found


@pytest.fixture
def site(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict]:
    app, uri = shared_database(tmp_path, BACKEND, request)
    with app.app_context():
        event = make_event(slug="deux-hotes", rounds=1, themes=2, workshop_capacity=SEATS)
        event.proceedings_published = True
        first, second = (db.session.get(ProgrammeItem, id_) for id_ in workshops(event)[0])
        first.summary_md = OLD_SUMMARY
        second.summary_md = "Le résumé du deuxième atelier."
        first.speaker_links = [
            ItemSpeaker(speaker=Speaker(name=OLD_SPEAKER, role="Assistante sociale"))
        ]
        organiser = User(email=ORGANISER, is_admin=True)
        organiser.set_password(PASSWORD)
        db.session.add(organiser)
        db.session.commit()
        site = {"app": app, "slug": event.slug, "event_id": event.id,
                "items": (first.id, second.id)}  # fmt: skip
        db.session.remove()
    hosts = {name: tmp_path / f"host-{name}" for name in ("a", "b")}
    sink, smtp_port = Sink(), free_port()
    try:
        with ExitStack() as stack:
            redis_url = stack.enter_context(redis_server(tmp_path))
            smtp = Controller(sink, hostname="127.0.0.1", port=smtp_port)
            smtp.start()
            stack.callback(smtp.stop)
            for name, folder in hosts.items():
                folder.mkdir()
                env = {
                    # What every host shares: the database, the key, the public address,
                    # the rate limits' store, the mail server, the number of proxies in front.
                    "EVENTAPP_SQLALCHEMY_DATABASE_URI": uri,
                    "EVENTAPP_SECRET_KEY": "two-hosts-shared-secret",
                    "EVENTAPP_BASE_URL": "http://evenements.example.org",
                    "EVENTAPP_RATELIMIT_STORAGE_URI": redis_url,
                    # 10 an hour rather than a minute: the windows are fixed, and the few
                    # seconds of the check must not straddle two of them.
                    "EVENTAPP_REGISTRATION_RATE_LIMIT": "10 per hour",
                    "EVENTAPP_MAIL_SERVER": "127.0.0.1",
                    "EVENTAPP_MAIL_PORT": str(smtp_port),
                    "EVENTAPP_TRUSTED_PROXIES": "1",
                    # What each host keeps for itself: its generated files, its watcher.
                    "EVENTAPP_EXPORTS_DIR": str(folder / "exports"),
                    "EVENTAPP_MAIL_WORKER": "1",
                    "EVENTAPP_ACCESS_LOG": "",
                }
                port, server = stack.enter_context(
                    serving(env, folder, WORKERS, ROOT / "gunicorn.conf.py")
                )
                [watcher] = [p for p, c in child_processes(server.pid).items() if "--watch" in c]
                site[name] = {"port": port, "watcher": watcher, "folder": folder}
            site["redis"], site["sink"] = redis_url, sink
            yield site
    finally:
        release(app, BACKEND)


def _rush(site: dict) -> list[tuple]:
    """400 people: each reads the form on one host and sends it through either host."""
    slug, items = site["slug"], site["items"]
    ports = (site["a"]["port"], site["b"]["port"])
    people = [
        Browser(ports[n % 2], headers={**PUBLIC, "X-Forwarded-For": f"10.1.{n // 200}.{n % 200}"})
        for n in range(PEOPLE)
    ]

    def read_form(n: int) -> dict:
        status, _headers, page = people[n].request("GET", f"/events/{slug}/register")
        assert status == 200
        fields = form_with(page, "first_name")
        people[n].port = ports[(n // 2) % 2]  # half of them reach the other host now
        return {
            **fields,
            "first_name": f"Personne{n}",
            "last_name": "Deux-Hôtes",
            "email": f"personne{n}@example.org",
            "consent": "y",
            "workshop_1": str(items[n % 2]),
        }

    with ThreadPoolExecutor(max_workers=8) as pool:
        forms = list(pool.map(read_form, range(PEOPLE)))
    start = threading.Barrier(PEOPLE)

    def register(n: int):
        start.wait()
        try:
            return people[n].request("POST", f"/events/{slug}/register", forms[n])
        except OSError as error:
            return (None, {}, repr(error))

    with ThreadPoolExecutor(max_workers=PEOPLE) as pool:
        return list(pool.map(register, range(PEOPLE)))


def _wait_until_sent(app, expected: int, within: float = 90.0) -> dict:
    deadline = time.monotonic() + within
    while True:
        with app.app_context():
            statuses = Counter(db.session.scalars(select(OutboxMessage.status)))
            db.session.remove()
        if statuses == {OutboxStatus.SENT: expected} or time.monotonic() > deadline:
            return statuses
        time.sleep(0.25)


def test_two_hosts_share_one_database_and_serve_each_change_at_once(site, capsys) -> None:
    app, slug, (first, second) = site["app"], site["slug"], site["items"]
    host_a, host_b = site["a"], site["b"]
    began = time.monotonic()
    # 1. The rush, over both hosts.
    answers = _rush(site)
    rushed = time.monotonic()
    codes = Counter(status for status, _headers, _body in answers)
    assert codes == {303: PEOPLE}, codes
    tokens = {headers["Location"].rstrip("/").rsplit("/", 1)[1] for _s, headers, _b in answers}
    assert len(tokens) == PEOPLE, "every person has a registration of their own"

    with app.app_context():
        rows = db.session.execute(
            select(Registration.status, RegistrationChoice.item_id, Registration.waitlist_rank)
            .join(RegistrationChoice, RegistrationChoice.registration_id == Registration.id)
            .where(Registration.event.has(slug=slug))
        ).all()
        stored = db.session.scalar(select(func.count(Registration.id)))
        db.session.remove()
    seated = Counter(item for status, item, _rank in rows if status.value == "confirmed")
    waiting = Counter(item for status, item, _rank in rows if status.value == "waitlisted")
    ranks = [rank for status, _item, rank in rows if status.value == "waitlisted"]
    assert stored == PEOPLE and len(rows) == PEOPLE
    assert seated == {first: SEATS, second: SEATS}, "no seat sold twice, none left empty"
    assert waiting == {first: PEOPLE // 2 - SEATS, second: PEOPLE // 2 - SEATS}
    assert len(set(ranks)) == len(ranks), "no shared place on the waiting list"
    for host in (host_a, host_b):  # what either host shows a newcomer: no seat left
        status, _headers, page = Browser(host["port"], PUBLIC).request(
            "GET", f"/events/{slug}/register"
        )
        assert status == 200
        for item in (first, second):
            assert re.search(rf'value="{item}"[^>]*data-seats-left="0"', page), item

    # A double click whose two sends the load balancer gives to both hosts at once: one
    # registration, and both answers lead to its page.
    clicker = Browser(host_a["port"], headers={**PUBLIC, "X-Forwarded-For": "10.7.7.7"})
    _status, _headers, page = clicker.request("GET", f"/events/{slug}/register")
    form = {**form_with(page, "first_name"), "first_name": "Double", "last_name": "Clic",
            "email": "double.clic@example.org", "consent": "y",
            "workshop_1": str(second)}  # fmt: skip
    twins = [Browser(host["port"], clicker.headers) for host in (host_a, host_b)]
    for twin in twins:
        twin.cookies = dict(clicker.cookies)
    both = threading.Barrier(2)

    def click(twin: Browser):
        both.wait()
        return twin.request("POST", f"/events/{slug}/register", form)

    with ThreadPoolExecutor(max_workers=2) as pool:
        clicks = list(pool.map(click, twins))
    assert [status for status, _headers, _body in clicks] == [303, 303]
    assert clicks[0][1]["Location"] == clicks[1][1]["Location"]
    with app.app_context():
        assert db.session.scalar(select(func.count(Registration.id))) == PEOPLE + 1
        db.session.remove()

    # 2. One Redis counts for both hosts: an address gets its 10 POSTs in all.
    statuses = []
    for attempt in range(12):
        host = (host_a, host_b)[attempt % 2]
        person = Browser(host["port"], headers={**PUBLIC, "X-Forwarded-For": "10.9.9.9"})
        _status, _headers, page = person.request("GET", f"/events/{slug}/register")
        form = form_with(page, "first_name")  # no name, no consent: refused, nothing stored
        statuses.append(person.request("POST", f"/events/{slug}/register", form)[0])
    assert 429 not in statuses[:10] and 303 not in statuses[:10], statuses
    assert statuses[10:] == [429, 429], statuses
    assert redis.Redis.from_url(site["redis"]).keys("*"), "the counters live in Redis"

    # 3. Each confirmation or waiting-list mail reached the mail server once, handed over
    # by one of the two hosts' watchers.
    mails = _wait_until_sent(app, PEOPLE + 1)
    assert mails == {OutboxStatus.SENT: PEOPLE + 1}, mails
    with app.app_context():
        sent = dict(db.session.execute(select(OutboxMessage.id, OutboxMessage.recipient)).all())
        db.session.remove()
    received = site["sink"].received()
    times = Counter(row for row, _pid, _message in received)
    assert set(times) == set(sent) and set(times.values()) == {1}, times.most_common(3)
    assert sorted(str(message["To"]) for _row, _pid, message in received) == sorted(
        [f"personne{n}@example.org" for n in range(PEOPLE)] + ["double.clic@example.org"]
    )
    by_watcher = Counter(pid for _row, pid, _message in received)
    split = [by_watcher[host_a["watcher"]], by_watcher[host_b["watcher"]]]
    assert sum(split) == PEOPLE + 1, by_watcher
    mailed = time.monotonic()

    # 4. Both hosts serve the programme as it is, from memory and from their own files.
    for host in (host_a, host_b):
        for _twice_per_worker in range(2 * WORKERS):
            before = what_is_served(host["port"], slug)
        assert OLD_TITLE in before["/"] and OLD_TITLE in before["/calendar.ics"]
        assert OLD_TITLE in before["/schedule.json"]
        assert OLD_SPEAKER in before["/speakers"] and NEW_SPEAKER not in before["/speakers"]
        assert OLD_SUMMARY in before["/proceedings.pdf"]
        assert list((host["folder"] / "exports").glob("proceedings-*.pdf"))
    _status, old_headers, _body = get_bytes(host_b["port"], f"/events/{slug}/")

    # 5. The organiser changes the workshop through host A's form.
    organiser = Browser(host_a["port"], headers={**PUBLIC, "X-Forwarded-For": "10.8.8.8"})
    _status, _headers, page = organiser.request("GET", "/admin/login")
    login = {**form_with(page, "password"), "email": ORGANISER, "password": PASSWORD}
    status, _headers, _page = organiser.request("POST", "/admin/login", login)
    assert status in (302, 303), "logged in"
    edit = f"/admin/events/{site['event_id']}/items/{first}/edit"
    status, _headers, page = organiser.request("GET", edit)
    assert status == 200
    form = form_with(page, "title")
    assert form["title"] == OLD_TITLE and OLD_SPEAKER in form["speakers"]
    form.update(
        title=NEW_TITLE,
        speakers=f"{form['speakers'].strip()}\n{NEW_SPEAKER}",
        summary_md=NEW_SUMMARY,
    )
    status, headers, page = organiser.request("POST", edit, form)
    assert status == 303, visible_text(page)
    assert "/programme" in headers["Location"]
    # The organiser's next page comes from host B: still logged in, and told it is saved.
    organiser.port = host_b["port"]
    status, _headers, page = organiser.request("GET", urlsplit(headers["Location"]).path)
    assert status == 200 and f"« {NEW_TITLE} » enregistré." in visible_text(page)

    # 6. Host B serves it on its next request, whichever worker answers.
    for host in (host_b, host_a):
        for _twice_per_worker in range(2 * WORKERS):
            after = what_is_served(host["port"], slug)
            assert NEW_TITLE in after["/"] and OLD_TITLE not in after["/"]
            assert NEW_SPEAKER in after["/"]
            assert NEW_SPEAKER in after["/speakers"] and NEW_TITLE in after["/speakers"]
            assert NEW_TITLE in after["/calendar.ics"] and OLD_TITLE not in after["/calendar.ics"]
            assert NEW_TITLE in after["/schedule.json"] and OLD_TITLE not in after["/schedule.json"]
            assert NEW_SUMMARY in after["/proceedings.pdf"]
            assert NEW_SPEAKER in after["/proceedings.pdf"]
            assert OLD_SUMMARY not in after["/proceedings.pdf"]
    # A browser that kept host B's old page is not told it is still good.
    status, _headers, body = get_bytes(
        host_b["port"], f"/events/{slug}/", {"If-None-Match": old_headers["ETag"]}
    )
    assert status == 200 and NEW_TITLE in visible_text(body.decode())
    # Both hosts give a page the same ETag: a browser or proxy sent to the other host gets
    # 304 for what it has.
    for page in PAGES:
        _status, headers, _body = get_bytes(host_a["port"], f"/events/{slug}{page}")
        status, _headers, _body = get_bytes(
            host_b["port"], f"/events/{slug}{page}", {"If-None-Match": headers["ETag"]}
        )
        assert status == 304, page
    changed = time.monotonic()

    # 7. The calendar update of each person seated in the changed workshop: queued once,
    # and sent once when its few minutes of gathering are over (moved to now here).
    with app.app_context():
        pending = db.session.execute(
            select(OutboxMessage.id, OutboxMessage.registration_id, OutboxMessage.kind).where(
                OutboxMessage.status == OutboxStatus.QUEUED
            )
        ).all()
        seated_first = set(
            db.session.scalars(
                select(Registration.id)
                .join(RegistrationChoice, RegistrationChoice.registration_id == Registration.id)
                .where(
                    Registration.status == RegistrationStatus.CONFIRMED,
                    RegistrationChoice.item_id == first,
                )
            )
        )
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.status == OutboxStatus.QUEUED)
            .values(next_attempt_at=utcnow() - timedelta(seconds=1))
        )
        db.session.commit()
        db.session.remove()
    assert Counter(kind for _row, _id, kind in pending) == {"update": SEATS}
    assert {registration for _row, registration, _kind in pending} == seated_first
    mails = _wait_until_sent(app, PEOPLE + 1 + SEATS)
    assert mails == {OutboxStatus.SENT: PEOPLE + 1 + SEATS}, mails
    received = site["sink"].received()
    times = Counter(row for row, _pid, _message in received)
    assert len(times) == PEOPLE + 1 + SEATS and set(times.values()) == {1}, times.most_common(3)
    updates = {row for row, _id, _kind in pending}
    for row, _pid, message in received:
        if row in updates:  # each invitation says what the workshop is now called
            [invitation] = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
            assert NEW_TITLE in calendar_titles(invitation.get_content().encode())

    with capsys.disabled():
        print(
            f"\n[two hosts {BACKEND}] {PEOPLE} registrations over 2 hosts x {WORKERS} workers "
            f"in {rushed - began:.1f} s; mails by host A/B: {split[0]}/{split[1]}, all out "
            f"{mailed - rushed:.1f} s later; change checked on both in "
            f"{changed - mailed:.1f} s; {SEATS} updates sent in "
            f"{time.monotonic() - changed:.1f} s"
        )
