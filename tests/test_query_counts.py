"""Pages and feeds of a large event run a fixed number of queries, however many items."""

from __future__ import annotations

import pytest
from flask_babel import refresh
from helpers import count_queries

from bench.make_large_event import make_large_event
from eventapp.extensions import db

URLS = [
    "/events/{slug}/",
    "/events/{slug}/speakers",
    "/events/{slug}/schedule.xml",
    "/events/{slug}/schedule.json",
    "/events/{slug}/calendar.ics",
    "/api/v1/events/{slug}",
]


def _queries(app, client, url: str) -> int:
    with count_queries(app) as statements:
        answer = client.get(url)
    assert answer.status_code == 200, url
    return len(statements)


@pytest.mark.parametrize("template", URLS)
def test_query_count_does_not_grow_with_the_programme(app, client, ctx, template) -> None:
    make_large_event("small", days=1, rooms=2, items=6, speakers=8)
    make_large_event("large", days=3, rooms=10, items=500, speakers=600)
    small = _queries(app, client, template.format(slug="small"))
    large = _queries(app, client, template.format(slug="large"))
    assert large == small, (template, small, large)
    assert large <= 10


def test_registrations_list_and_feeds_do_not_grow_with_registrations(app, client, ctx) -> None:
    """The organisers' list, their CSV, one registration's organiser page and a participant's
    own calendar on 20 and on 5,000 registrations run the same number of queries."""
    from sqlalchemy import select
    from test_admin_support import PASSWORD, create_organiser, login

    from eventapp.extensions import db
    from eventapp.models import Event, Registration

    create_organiser("bench@example.org", PASSWORD, is_admin=True)
    make_large_event("small", days=1, rooms=2, items=6, speakers=8, registrations=20)
    make_large_event("large")
    login(client, "bench@example.org")
    ids = {e.slug: e.id for e in db.session.scalars(select(Event))}

    def token_of(slug: str) -> str:
        return db.session.scalars(
            select(Registration.token)
            .where(Registration.event_id == ids[slug])
            .order_by(Registration.id)
        ).first()

    for template in (
        "/admin/events/{id}/registrations",
        "/admin/events/{id}/registrations.csv",
        "/admin/events/{id}/dashboard",
    ):
        small = _queries(app, client, template.format(id=ids["small"]))
        large = _queries(app, client, template.format(id=ids["large"]))
        assert large == small, (template, small, large)

    def first_of(slug: str, status: str) -> int:
        return db.session.scalars(
            select(Registration.id)
            .where(Registration.event_id == ids[slug], Registration.status == status)
            .order_by(Registration.id)
        ).first()

    # One person's organiser page: every action, one select a round.
    for status in ("confirmed", "waitlisted"):
        pages = {
            slug: f"/admin/events/{ids[slug]}/registrations/{first_of(slug, status)}"
            for slug in ("small", "large")
        }
        small = _queries(app, client, pages["small"])
        large = _queries(app, client, pages["large"])
        assert large == small, ("registration page", status, small, large)
        assert large <= 12, large
    # Each from an empty session: the requests share this test's, where earlier pages left
    # one event's programme loaded (a commit of the audit trail keeps what it had read).
    small_url, large_url = (f"/r/{token_of(slug)}/calendar.ics" for slug in ("small", "large"))
    db.session.expunge_all()
    small = _queries(app, client, small_url)
    db.session.expunge_all()
    large = _queries(app, client, large_url)
    assert large == small, ("personal calendar", small, large)


def test_the_registration_form_its_post_and_its_mail_do_not_grow_with_the_rounds(
    app, client, ctx, monkeypatch
) -> None:
    """The busiest paths of a registration rush: the form, its POST (mail left to the
    watcher, as served) and the delivery of the confirmation with its invitation run the
    same number of queries for 2 rounds of 3 workshops as for 6 rounds of 6 (SQLite's
    INSERTs apart: it writes one a row, the person's choices among them)."""
    from factories import make_event, workshops
    from regutil import form_fields, person, reset_rate_limits

    from eventapp.mail import deliver_due

    sqlite = app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite")

    def counted(statements: list[str]) -> int:
        return len([s for s in statements if not (sqlite and s.lstrip().startswith("INSERT"))])

    monkeypatch.setitem(app.config, "MAIL_DELIVERY", "worker")
    counts = {}
    for slug, rounds, themes in (("petite", 2, 3), ("grande", 6, 6)):
        event = make_event(slug, rounds=rounds, themes=themes, workshop_capacity=50)
        picks = [ids[n % themes] for n, ids in enumerate(workshops(event))]
        reset_rate_limits()
        with count_queries(app) as form_queries:
            page = client.get(f"/events/{slug}/register")
        data = form_fields(page.text) | person(f"{slug}@example.org")
        data |= {f"workshop_{n}": str(item) for n, item in enumerate(picks, 1)}
        with count_queries(app) as post_queries:
            answer = client.post(f"/events/{slug}/register", data=data)
        assert answer.status_code == 303, answer.text
        db.session.remove()
        with count_queries(app) as mail_queries:
            assert deliver_due().sent == 1
        counts[slug] = tuple(map(counted, (form_queries, post_queries, mail_queries)))
    assert counts["grande"] == counts["petite"], counts
    form, post, delivery = counts["petite"]
    # The form: the event, its workshops, the seats taken. The POST adds one look for the
    # address, capacities under the lock and the seats; on PostgreSQL also the lock (SELECT
    # … FOR UPDATE; SQLite's BEGIN IMMEDIATE goes to the driver unseen) and its INSERTs.
    assert form <= 3 and post <= (5 if sqlite else 9) and delivery <= 11, counts


def _translate_everything(slug: str) -> None:
    """Declares French and Dutch and writes a Dutch value for every text of the event."""
    from sqlalchemy import select

    from eventapp.models import Event

    event = db.session.scalars(select(Event).filter_by(slug=slug)).one()
    event.declare_languages(["fr", "nl"])
    event.set_translation("title", "nl", "NL " + event.title)
    for row in (*event.rooms, *event.themes, *event.items):
        for field in row.TRANSLATED:
            if getattr(row, field):
                row.set_translation(field, "nl", "NL " + getattr(row, field))
    for item in event.items:
        for link in item.speaker_links:
            link.speaker.set_translation("role", "nl", "NL rol")
    db.session.commit()


@pytest.mark.parametrize("template", ["/events/{slug}/", "/events/{slug}/speakers"])
def test_a_bilingual_large_event_costs_no_more_queries(app, client, ctx, template) -> None:
    make_large_event("large", days=3, rooms=10, items=500, speakers=600)
    french = _queries(app, client, template.format(slug="large"))
    _translate_everything("large")
    dutch_page = template.format(slug="large") + "?lang=nl"
    # The requests share this test's application context, where Flask-Babel keeps the
    # language of the first page: forget it, as a new request would.
    refresh()
    assert _queries(app, client, dutch_page) == french
    assert "NL " in client.get(dutch_page).text
