"""The organiser's allocation page: the mode, the dry run's figures, the button that runs it."""

from __future__ import annotations

import html
import re

from factories import make_event
from helpers import csrf_token
from regutil import outbox
from sqlalchemy import select
from test_admin_support import PASSWORD, login
from test_allocation_run import _pending

from eventapp.admin.accounts import create_organiser
from eventapp.extensions import db
from eventapp.models import Event, Registration, RegistrationStatus, User


def _event(app, *, manager: bool = True) -> int:
    with app.app_context():
        event = make_event(workshop_capacity=1)
        alice = create_organiser("alice@example.org", PASSWORD)
        if manager:
            event.managers = [db.session.get(User, alice.id)]
        db.session.commit()
        event_id = event.id
        db.session.remove()
    return event_id


def test_pages_need_a_login_and_a_managed_event(app, client) -> None:
    event_id = _event(app, manager=False)
    assert client.get(f"/admin/events/{event_id}/allocation").status_code in (302, 401)
    login(client, "alice@example.org")
    assert client.get(f"/admin/events/{event_id}/allocation").status_code == 404


def test_overview_shows_the_mode_and_the_page_switches_it_with_csrf(app, client) -> None:
    event_id = _event(app)
    login(client, "alice@example.org")
    overview = client.get(f"/admin/events/{event_id}/")
    assert 'data-allocation-mode="first-come"' in overview.text
    page = client.get(f"/admin/events/{event_id}/allocation")
    assert page.status_code == 200
    url = f"/admin/events/{event_id}/allocation/mode"
    assert client.post(url, data={"value": "preferences"}).status_code == 400  # no token
    done = client.post(url, data={"value": "preferences", "csrf_token": csrf_token(page.text)})
    assert done.status_code == 303
    overview = client.get(f"/admin/events/{event_id}/")
    assert 'data-allocation-mode="preferences"' in overview.text
    bad = client.post(url, data={"value": "lottery", "csrf_token": csrf_token(page.text)})
    assert "« lottery »" in html.unescape(client.get(bad.headers["Location"]).text)
    with app.app_context():
        assert db.session.scalar(select(Event.allocation_mode)) == "preferences"


def test_dry_run_figures_then_the_button_seats_everyone(app, client) -> None:
    event_id = _event(app)
    with app.app_context():
        db.session.execute(db.update(Event).values(allocation_mode="preferences"))
        db.session.commit()
    _pending(app, [["1", "2", "3"], ["1", "2", "3"], ["2", "1", "3"], ["3", "2", "1"]])
    login(client, "alice@example.org")
    page = client.get(f"/admin/events/{event_id}/allocation")
    assert 'data-pending="4"' in page.text
    optimal = re.search(r'data-allocation="optimal">(.*?)</section>', page.text, re.S).group(1)
    assert 'data-seated="3" data-waitlisted="1"' in optimal
    assert 'data-worst-rank="' in optimal
    assert 'data-allocation="first-come"' in page.text
    assert page.text.count('data-fill="optimal"') == 6
    with app.app_context():  # the dry run changed nothing
        statuses = set(db.session.scalars(select(Registration.status)))
        assert statuses == {RegistrationStatus.PENDING}
    assert outbox(app) == []

    url = f"/admin/events/{event_id}/allocation/run"
    assert client.post(url).status_code == 400
    done = client.post(url, data={"csrf_token": csrf_token(page.text)})
    assert done.status_code == 303
    after = client.get(done.headers["Location"])
    assert "3 personne(s) confirmée(s), 1 en liste d'attente" in html.unescape(after.text)
    assert 'data-pending="0"' in after.text
    with app.app_context():
        statuses = sorted(s.value for s in db.session.scalars(select(Registration.status)))
        assert statuses == ["confirmed"] * 3 + ["waitlisted"]
    assert len(outbox(app)) == 4


def test_the_rule_after_an_allocation_is_set_on_the_page(app, client) -> None:
    event_id = _event(app)
    with app.app_context():
        db.session.execute(db.update(Event).values(allocation_mode="preferences"))
        db.session.commit()
    login(client, "alice@example.org")
    page = client.get(f"/admin/events/{event_id}/allocation")
    url = f"/admin/events/{event_id}/allocation/after"
    assert client.post(url, data={"value": "pending"}).status_code == 400
    done = client.post(url, data={"value": "pending", "csrf_token": csrf_token(page.text)})
    assert done.status_code == 303
    with app.app_context():
        assert db.session.scalar(select(Event.after_allocation)) == "pending"
    bad = client.post(url, data={"value": "never", "csrf_token": csrf_token(page.text)})
    assert "« never »" in html.unescape(client.get(bad.headers["Location"]).text)
    with app.app_context():
        assert db.session.scalar(select(Event.after_allocation)) == "pending"


def test_the_full_rerun_has_its_own_confirmed_button(app, client) -> None:
    event_id = _event(app)
    with app.app_context():
        db.session.execute(db.update(Event).values(allocation_mode="preferences"))
        db.session.commit()
    _pending(app, [["1", "2", "3"], ["2", "1", "3"]])
    login(client, "alice@example.org")
    page = client.get(f"/admin/events/{event_id}/allocation")
    assert "allocation?full=1" not in page.text  # nobody seated yet: nothing to re-run
    client.post(
        f"/admin/events/{event_id}/allocation/run", data={"csrf_token": csrf_token(page.text)}
    )
    _pending(app, [["1", "2", "3"]], start=2)

    page = client.get(f"/admin/events/{event_id}/allocation")
    # Simulated on demand only (it solves the whole event again).
    assert "allocation?full=1" in page.text and "data-moved" not in page.text
    page = client.get(f"/admin/events/{event_id}/allocation?full=1")
    assert "allocation/full" in page.text
    assert 'data-moved="' in page.text and 'name="confirm"' in page.text
    mails = len(outbox(app))
    with app.app_context():
        before = {
            r.id: (r.status, sorted(c.item_id for c in r.choices))
            for r in db.session.scalars(select(Registration))
        }
        db.session.remove()
    url = f"/admin/events/{event_id}/allocation/full"
    assert client.post(url, data={"confirm": "1"}).status_code == 400  # no CSRF token
    unticked = client.post(url, data={"csrf_token": csrf_token(page.text)})
    assert "Cochez la case" in html.unescape(client.get(unticked.headers["Location"]).text)
    with app.app_context():
        after = {
            r.id: (r.status, sorted(c.item_id for c in r.choices))
            for r in db.session.scalars(select(Registration))
        }
    assert after == before and len(outbox(app)) == mails

    done = client.post(url, data={"csrf_token": csrf_token(page.text), "confirm": "1"})
    shown = html.unescape(client.get(done.headers["Location"]).text)
    assert "déjà placée(s) changent d'ateliers" in shown
    with app.app_context():
        statuses = {s for s in db.session.scalars(select(Registration.status))}
    assert RegistrationStatus.PENDING not in statuses
