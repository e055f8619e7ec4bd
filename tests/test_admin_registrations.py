"""Organisers run registrations: list, search, filters, confirm / cancel / move with the
self-service rules and mails, CSV export, check-in, attendance sheets, raised capacities."""

from __future__ import annotations

import csv
import io
import re
import subprocess
from html import unescape
from pathlib import Path
from urllib.parse import quote

import pytest
from factories import make_event, workshops
from helpers import visible_text
from regutil import outbox
from test_admin_support import accounts_fixture, login, post  # noqa: F401

from eventapp.extensions import db
from eventapp.models import Event, ProgrammeItem, Registration, Room, User
from eventapp.registration import Applicant, register
from eventapp.registration.export import registration_rows


def _event(app, accounts, **options) -> tuple[int, list[list[int]]]:
    """A published event managed by Alice; its id and workshop ids per round."""
    with app.app_context():
        event = make_event(**options)
        event.managers = [db.session.get(User, accounts["alice"])]
        db.session.commit()
        result = event.id, workshops(event)
        db.session.remove()
    return result


def _register(app, event_id: int, picks: list[int], first: str, last: str, **extra) -> int:
    with app.app_context():
        event = db.session.get(Event, event_id)
        items = [db.session.get(ProgrammeItem, item_id) for item_id in picks]
        email = extra.pop("email", f"{first}.{last}@example.org".lower())
        outcome = register(event, Applicant(first, last, email, **extra), items)
        registration_id = outcome.registration.id
        db.session.remove()
    return registration_id


def _reg(app, registration_id: int) -> Registration:
    with app.app_context():
        registration = db.session.get(Registration, registration_id)
        db.session.expunge(registration)
        return registration


def _rows(html: str) -> list[str]:
    """The visible text of each row of the registrations table."""
    body = html.split('class="data registrations"')[1].split("</table>")[0]
    return [visible_text("<tr" + row) for row in body.split("<tr")[2:]]


def test_the_list_searches_filters_and_counts(app, client, accounts) -> None:
    event_id, ((a, b, _c), (a2, b2, _c2)) = _event(app, accounts, workshop_capacity=1)
    _register(app, event_id, [a, b2], "Ana", "López", organisation="CPAS de Namur")
    _register(app, event_id, [b, a2], "Bruno", "Martin", organisation="Ville de Liège")
    _register(app, event_id, [a, b2], "Chloé", "Dubois", organisation="CPAS de Namur")
    login(client, "alice@example.org")
    base = f"/admin/events/{event_id}/registrations"

    page = client.get(base)
    assert page.status_code == 200
    assert len(_rows(page.text)) == 3
    text = visible_text(page.text)
    assert "2 confirmée(s) · 1 en liste d'attente · 0 annulée(s)" in text
    counts = page.text.split(f'data-workshop="{a}"')[1].split("</tr>")[0]
    # Atelier 1: round 1, one confirmed of one seat, one waiting, no seat left.
    cells = visible_text("<td" + counts).split("PDF")[0].split()
    assert cells == ["Atelier", "1,", "tour", "1", "1", "1", "1", "1", "0"]

    accents = _rows(client.get(base + "?q=lopez").text)
    assert len(accents) == 1 and "López Ana" in accents[0]
    by_organisation = _rows(client.get(base + "?q=cpas namur").text)
    assert [row.split()[0] for row in by_organisation] == ["López", "Dubois"]
    assert "Martin" in _rows(client.get(base + "?q=bruno.martin@").text)[0]
    waiting = _rows(client.get(base + "?status=waitlisted").text)
    assert len(waiting) == 1 and "Dubois" in waiting[0] and "n° 1" in waiting[0]
    in_b = _rows(client.get(f"{base}?item={b}").text)
    assert len(in_b) == 1 and "Martin" in in_b[0]
    assert "Aucune inscription ne correspond." in client.get(base + "?q=personne").text
    # Not ids: "²" passes str.isdigit but not int(); 10**20 fits no database integer.
    for odd in ("%C2%B2", "99999999999999999999", "-1", "1e3"):
        unfiltered = client.get(f"{base}?item={odd}&page={odd}")
        assert unfiltered.status_code == 200
        assert len(_rows(unfiltered.text)) == 3


def test_cancelling_promotes_the_first_in_line_with_the_self_service_mails(
    app, client, accounts
) -> None:
    event_id, ((a, _b, _c), (a2, _b2, _c2)) = _event(app, accounts, workshop_capacity=1)
    first = _register(app, event_id, [a, a2], "Ana", "López")
    second = _register(app, event_id, [a, a2], "Bruno", "Martin")
    login(client, "alice@example.org")
    base = f"/admin/events/{event_id}/registrations"
    answer = post(client, f"{base}/{first}/cancel", {"next": base + "?status=confirmed"})
    assert answer.status_code == 303 and answer.headers["Location"].endswith("?status=confirmed")
    assert (_reg(app, first).status, _reg(app, second).status) == ("cancelled", "confirmed")
    [cancelled] = outbox(app, "cancelled")
    [promoted] = outbox(app, "promoted")
    assert cancelled.recipient == "ana.lópez@example.org"
    assert promoted.recipient == "bruno.martin@example.org"
    assert promoted.status == "sent", "delivered right after the request"
    assert "Ana López : inscription annulée." in visible_text(client.get(base).text)


def _page(client, event_id: int, registration_id: int, back: str = "") -> str:
    url = f"/admin/events/{event_id}/registrations/{registration_id}"
    answer = client.get(url + (f"?back={quote(back)}" if back else ""))
    assert answer.status_code == 200
    return answer.text


def _status(html: str) -> str:
    return re.search(r'data-status="(\w+)"', html).group(1)


def test_confirming_out_of_turn_is_refused_when_full_unless_forced(app, client, accounts) -> None:
    event_id, ((a, b, _c), (a2, b2, _c2)) = _event(app, accounts, workshop_capacity=1)
    _register(app, event_id, [a, a2], "Ana", "López")
    waiting = _register(app, event_id, [a, b2], "Bruno", "Martin")
    login(client, "alice@example.org")
    page = _page(client, event_id, waiting)
    assert _status(page) == "waitlisted" and "Liste d'attente (n° 1)" in visible_text(page)
    url = f"/admin/events/{event_id}/registrations/{waiting}/confirm"
    here = f"/admin/events/{event_id}/registrations/{waiting}"
    refused = post(client, url, {"next": here})
    assert refused.status_code == 400
    form = refused.text.split(f'action="{url}"')[1].split("</form>")[0]
    assert "Complet : Atelier 1, tour 1." in visible_text(form)
    assert "même si complet" in visible_text(form)
    assert _reg(app, waiting).status == "waitlisted" and not outbox(app, "promoted")

    forced = post(client, url, {"force": "y", "next": here})
    assert forced.status_code == 303 and forced.headers["Location"] == here
    assert _reg(app, waiting).status == "confirmed"
    [mail] = outbox(app, "promoted")
    assert mail.recipient == "bruno.martin@example.org" and "confirmée" in mail.body_text
    after = client.get(here).text
    assert _status(after) == "confirmed"
    assert "Bruno Martin : inscription confirmée." in visible_text(after)
    page = client.get(f"/admin/events/{event_id}/registrations")
    assert "2 confirmée(s) · 0 en liste d'attente" in visible_text(page.text)


def test_moving_between_workshops_follows_the_rules(app, client, accounts) -> None:
    event_id, ((a, b, c), (a2, b2, c2)) = _event(app, accounts, workshop_capacity=1)
    ana = _register(app, event_id, [a, b2], "Ana", "López")
    _register(app, event_id, [b, a2], "Bruno", "Martin")
    login(client, "alice@example.org")
    page = _page(client, event_id, ana)
    # One select a round, with only that round's workshops and their seats left.
    first = page.split('id="workshop_1"')[1].split("</select>")[0]
    assert re.findall(r'<option value="(\d+)"', first) == [str(a), str(b), str(c)]
    assert "Atelier 2, tour 1 — complet" in visible_text(first)
    assert "Atelier 3, tour 1 — 1 place(s) libre(s)" in visible_text(first)
    assert f'<option value="{a}" data-seats-left="0" selected>' in first
    url = f"/admin/events/{event_id}/registrations/{ana}/move"
    here = f"/admin/events/{event_id}/registrations/{ana}"
    full = post(client, url, {"workshop_1": str(b), "workshop_2": str(c2), "next": here})
    assert full.status_code == 400
    message = full.text.split('id="workshop_1"')[1].split("</div>")[0]
    assert "Cet atelier est complet." in visible_text(message)
    same_theme = post(client, url, {"workshop_1": str(c), "workshop_2": str(c2), "next": here})
    assert same_theme.status_code == 400
    assert "Vous avez déjà choisi ce thème" in visible_text(same_theme.text)
    other_round = post(client, url, {"workshop_1": str(a2), "workshop_2": str(b2), "next": here})
    assert other_round.status_code == 400
    assert "Cet atelier n'existe pas dans ce créneau." in visible_text(other_round.text)
    assert not outbox(app, "changed")
    with app.app_context():
        assert {c.item_id for c in db.session.get(Registration, ana).choices} == {a, b2}

    moved = post(client, url, {"workshop_1": str(c), "workshop_2": str(b2), "next": here})
    assert moved.status_code == 303 and moved.headers["Location"] == here
    with app.app_context():
        picked = {c.item_id for c in db.session.get(Registration, ana).choices}
    assert picked == {c, b2}
    [changed] = outbox(app, "changed")
    assert changed.recipient == "ana.lópez@example.org" and "Atelier 3, tour 1" in changed.body_text
    after = visible_text(client.get(here).text)
    assert "Ana López : ateliers modifiés." in after
    assert "Créneau 1 : Atelier 3, tour 1" in after and "Créneau 2 : Atelier 2, tour 2" in after


def test_a_workshop_of_another_event_is_refused(app, client, accounts) -> None:
    event_id, ((a, _b, _c), (a2, _b2, _c2)) = _event(app, accounts)
    _other_id, ((x, _y, _z), (x2, _y2, _z2)) = _event(app, accounts, slug="autre-journee")
    ana = _register(app, event_id, [a, a2], "Ana", "López")
    login(client, "alice@example.org")
    url = f"/admin/events/{event_id}/registrations/{ana}/move"
    answer = post(client, url, {"workshop_1": str(x), "workshop_2": str(x2)})
    assert answer.status_code == 400
    assert "Cet atelier n'existe pas dans ce créneau." in visible_text(answer.text)
    with app.app_context():
        assert {c.item_id for c in db.session.get(Registration, ana).choices} == {a, a2}
    assert not outbox(app, "changed")


def test_the_registration_page_returns_to_the_list_as_it_was(app, client, accounts) -> None:
    event_id, ((a, _b, _c), (a2, _b2, _c2)) = _event(app, accounts, workshop_capacity=1)
    ana = _register(app, event_id, [a, a2], "Ana", "López", organisation="CPAS de Namur",
                    job_title="assistante sociale")  # fmt: skip
    login(client, "alice@example.org")
    listed = client.get(f"/admin/events/{event_id}/registrations?q=lopez&page=1").text
    link = re.search(rf'href="([^"]*/registrations/{ana}\?back=[^"]+)"', listed).group(1)
    page = client.get(unescape(link)).text
    text = visible_text(page)
    for fact in ("López Ana", "ana.lópez@example.org", "CPAS de Namur", "assistante sociale",
                 "Confirmée", "Pas encore arrivé", "Créneau 1 : Atelier 1, tour 1"):  # fmt: skip
        assert fact in text, fact
    back = re.search(r'<a href="([^"]+)" data-back>', page).group(1)
    assert unescape(back) == f"/admin/events/{event_id}/registrations?q=lopez&page=1"
    # The forms send the person back here, with the way back to the list.
    nexts = set(re.findall(r'name="next" value="([^"]+)"', page))
    assert len(nexts) == 1 and "back=" in unescape(nexts.pop())

    answer = post(client, f"/admin/events/{event_id}/registrations/{ana}/checkin",
                  {"value": "on", "next": unescape(link)})  # fmt: skip
    assert answer.status_code == 303 and answer.headers["Location"] == unescape(link)
    after = client.get(answer.headers["Location"]).text
    assert "Ana López : présence notée." in visible_text(after)
    assert 'data-checked-in="yes"' in after and "Présent depuis" in visible_text(after)
    assert unescape(re.search(r'<a href="([^"]+)" data-back>', after).group(1)) == unescape(back)

    # A way back outside the list is not followed.
    for bad in ("https://evil.example/", "/admin/events/1/edit", "//evil.example/admin/"):
        page = _page(client, event_id, ana, back=bad)
        target = re.search(r'<a href="([^"]+)" data-back>', page).group(1)
        assert target == f"/admin/events/{event_id}/registrations", bad


def test_cancelling_from_the_registration_page(app, client, accounts) -> None:
    event_id, ((a, _b, _c), (a2, _b2, _c2)) = _event(app, accounts)
    ana = _register(app, event_id, [a, a2], "Ana", "López")
    login(client, "alice@example.org")
    page = _page(client, event_id, ana)
    assert 'data-confirm="Annuler l’inscription de Ana López ?' in page
    here = f"/admin/events/{event_id}/registrations/{ana}"
    answer = post(client, f"{here}/cancel", {"next": here})
    assert answer.status_code == 303 and answer.headers["Location"] == here
    after = client.get(here).text
    assert _status(after) == "cancelled"
    assert "Ana López : inscription annulée." in visible_text(after)
    assert "Cette inscription est annulée" in visible_text(after)
    assert "/move" not in after and "/confirm" not in after
    [cancelled] = outbox(app, "cancelled")
    assert cancelled.recipient == "ana.lópez@example.org"


def test_an_unknown_or_foreign_registration_is_not_found(app, client, accounts) -> None:
    event_id, ((a, _b, _c), (a2, _b2, _c2)) = _event(app, accounts)
    other_id, ((x, _y, _z), (x2, _y2, _z2)) = _event(app, accounts, slug="autre-journee")
    ana = _register(app, event_id, [a, a2], "Ana", "López")
    elsewhere = _register(app, other_id, [x, x2], "Bruno", "Martin")
    login(client, "alice@example.org")
    assert client.get(f"/admin/events/{event_id}/registrations/999999").status_code == 404
    assert client.get(f"/admin/events/{event_id}/registrations/{elsewhere}").status_code == 404
    url = f"/admin/events/{event_id}/registrations/{elsewhere}/cancel"
    assert post(client, url).status_code == 404
    assert _reg(app, elsewhere).status == "confirmed"
    bob = app.test_client()
    login(bob, "bob@example.org")
    assert bob.get(f"/admin/events/{event_id}/registrations/{ana}").status_code == 404


def test_csv_export_opens_in_excel_and_runs_no_formula(app, client, accounts) -> None:
    event_id, ((a, _b, _c), (a2, _b2, _c2)) = _event(app, accounts)
    _register(app, event_id, [a, a2], "Éloïse", "Çelik", organisation='=HYPERLINK("x")')
    _register(app, event_id, [a, a2], "+32", "-Moins", organisation="@SUM(A1)",
              email="tab@example.org", job_title="\tcaché")  # fmt: skip
    login(client, "alice@example.org")
    answer = client.get(f"/admin/events/{event_id}/registrations.csv")
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    assert "inscriptions-journee-ouverte.csv" in answer.headers["Content-Disposition"]
    data = answer.data
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:6] == ["Nom", "Prénom", "Adresse e-mail", "Organisation", "Fonction", "Statut"]
    assert rows[0][7:9] == ["Atelier, créneau 1", "Atelier, créneau 2"]
    eloise = rows[1]
    assert eloise[:2] == ["Çelik", "Éloïse"] and eloise[3] == '\'=HYPERLINK("x")'
    assert eloise[5] == "confirmée" and eloise[7] == "Atelier 1, tour 1"
    other = rows[2]
    assert other[:2] == ["'-Moins", "'+32"]
    assert other[3] == "'@SUM(A1)" and other[4] == "'\tcaché"
    assert all(not cell.startswith(("=", "+", "-", "@", "\t")) for row in rows for cell in row)


def test_registration_rows_are_plain_data_for_the_api(app, ctx, accounts) -> None:
    event = make_event(workshop_capacity=1)
    (a, _b, _c), (a2, b2, _c2) = workshops(event)
    items = {i.id: i for i in event.items}
    register(event, Applicant("Ana", "López", "ana@example.org"), [items[a], items[a2]])
    register(event, Applicant("Bruno", "Martin", "b@example.org"), [items[a], items[b2]])
    rows = registration_rows(event)
    assert [(r["last_name"], r["status"], r["waitlist_position"]) for r in rows] == [
        ("López", "confirmed", None),
        ("Martin", "waitlisted", 1),
    ]
    assert rows[1]["choices"] == [
        {"round": 1, "item_id": a, "title": "Atelier 1, tour 1"},
        {"round": 2, "item_id": b2, "title": "Atelier 2, tour 2"},
    ]
    assert rows[0]["checked_in_at"] is None and rows[0]["registered_at"].endswith("+00:00")


def test_check_in_on_the_day(app, client, accounts) -> None:
    event_id, ((a, _b, _c), (a2, _b2, _c2)) = _event(app, accounts, workshop_capacity=1)
    ana = _register(app, event_id, [a, a2], "Ana", "López")
    _register(app, event_id, [a, a2], "Bruno", "Martin")  # waitlisted
    login(client, "alice@example.org")
    base = f"/admin/events/{event_id}/checkin"
    page = client.get(base + "?q=lopez")
    text = visible_text(page.text)
    assert "Présents : 0 sur 1 personne(s) confirmée(s)" in text
    assert "López Ana" in text and "Martin" not in text
    answer = post(
        client,
        f"/admin/events/{event_id}/registrations/{ana}/checkin",
        {"value": "on", "next": base + "?q=lopez"},
    )
    assert answer.status_code == 303 and answer.headers["Location"].endswith("?q=lopez")
    after = visible_text(client.get(base + "?q=lopez").text)
    assert "Ana López : présence notée." in after
    assert "Présents : 1 sur 1" in after and "Présent depuis" in after
    assert _reg(app, ana).checked_in_at is not None

    waiting = visible_text(client.get(base + "?q=martin").text)
    assert "À confirmer d'abord" in waiting
    bruno = _reg_by_name(app, "Martin")
    post(client, f"/admin/events/{event_id}/registrations/{bruno}/checkin", {"value": "on"})
    assert _reg(app, bruno).checked_in_at is None
    assert "n'a pas d'inscription confirmée" in visible_text(client.get(base).text)

    post(client, f"/admin/events/{event_id}/registrations/{ana}/checkin", {"value": "off"})
    assert _reg(app, ana).checked_in_at is None
    assert "Présents : 0 sur 1" in visible_text(client.get(base).text)


def _reg_by_name(app, last_name: str) -> int:
    with app.app_context():
        return db.session.scalars(
            db.select(Registration.id).where(Registration.last_name == last_name)
        ).one()


def _pdf_text(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "sheet.pdf"
    path.write_bytes(data)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


def test_attendance_sheet_lists_the_workshops_people_with_a_signature_column(
    app, client, accounts, tmp_path
) -> None:
    event_id, ((a, b, _c), (a2, b2, _c2)) = _event(app, accounts)
    _register(app, event_id, [a, a2], "Éloïse", "Çelik", organisation="CPAS d'Anvers")
    _register(app, event_id, [a, b2], "Ana", "Alvarez")
    _register(app, event_id, [b, a2], "Bruno", "Martin")
    login(client, "alice@example.org")
    answer = client.get(f"/admin/events/{event_id}/items/{a}/attendance.pdf")
    assert answer.status_code == 200 and answer.mimetype == "application/pdf"
    text = _pdf_text(answer.data, tmp_path)
    assert "Feuille de présence : Atelier 1, tour 1" in text
    assert "Signature" in text and "2 personne(s) inscrite(s)" in text
    lines = [line for line in text.splitlines() if "Alvarez" in line or "Çelik" in line]
    assert len(lines) == 2 and "Alvarez" in lines[0] and "CPAS d'Anvers" in lines[1]
    assert "Martin" not in text


def test_raising_a_capacity_promotes_the_first_in_line(app, client, accounts) -> None:
    event_id, ((a, _b, _c), (a2, _b2, _c2)) = _event(app, accounts, workshop_capacity=1)
    _register(app, event_id, [a, a2], "Ana", "López")
    bruno = _register(app, event_id, [a, a2], "Bruno", "Martin")
    chloe = _register(app, event_id, [a, a2], "Chloé", "Dubois")
    login(client, "alice@example.org")
    with app.app_context():
        item = db.session.get(ProgrammeItem, a)
        values = {
            "kind": "workshop",
            "title": item.title,
            "starts_at": item.starts_at.astimezone(item.event.tz).strftime("%Y-%m-%dT%H:%M"),
            "ends_at": item.ends_at.astimezone(item.event.tz).strftime("%Y-%m-%dT%H:%M"),
            "room_id": str(item.room_id),
            "theme_id": str(item.theme_id),
            "capacity": "2",
        }
        room_id = db.session.get(ProgrammeItem, a2).room_id
        room = db.session.get(Room, room_id)
        room_values = {"name": room.name, "capacity": "5", "position": str(room.position)}
        db.session.remove()
    # The item's capacity goes up; its twin in round 2 still holds one seat (room and item).
    edited = post(client, f"/admin/events/{event_id}/items/{a}/edit", values)
    assert edited.status_code == 303
    assert _reg(app, bruno).status == "waitlisted"
    with app.app_context():
        db.session.get(ProgrammeItem, a2).capacity = None
        db.session.commit()
    post(client, f"/admin/events/{event_id}/rooms/{room_id}/edit", room_values)
    assert (_reg(app, bruno).status, _reg(app, chloe).status) == ("confirmed", "waitlisted")
    [promoted] = outbox(app, "promoted")
    assert promoted.recipient == "bruno.martin@example.org" and promoted.status == "sent"


def test_raising_the_event_capacity_promotes(app, client, accounts) -> None:
    event_id, ((a, _b, _c), (a2, _b2, _c2)) = _event(app, accounts, event_capacity=1)
    _register(app, event_id, [a, a2], "Ana", "López")
    bruno = _register(app, event_id, [a, a2], "Bruno", "Martin")
    login(client, "alice@example.org")
    with app.app_context():
        event = db.session.get(Event, event_id)
        values = {
            "title": event.title,
            "slug": event.slug,
            "starts_at": event.local(event.starts_at).strftime("%Y-%m-%dT%H:%M"),
            "ends_at": event.local(event.ends_at).strftime("%Y-%m-%dT%H:%M"),
            "timezone": event.timezone,
            "capacity": "2",
        }
        db.session.remove()
    assert post(client, f"/admin/events/{event_id}/edit", values).status_code == 303
    assert _reg(app, bruno).status == "confirmed"
    assert [m.recipient for m in outbox(app, "promoted")] == ["bruno.martin@example.org"]


@pytest.mark.parametrize(
    "path",
    ["registrations", "registrations.csv", "checkin", "dashboard", "mailing"],
)
def test_another_organiser_cannot_see_the_registrations(app, client, accounts, path) -> None:
    event_id, ((a, _b, _c), (a2, _b2, _c2)) = _event(app, accounts)
    ana = _register(app, event_id, [a, a2], "Ana", "López")
    login(client, "bob@example.org")
    assert client.get(f"/admin/events/{event_id}/{path}").status_code == 404
    assert client.get(f"/admin/events/{event_id}/items/{a}/attendance.pdf").status_code == 404
    for action, data in (("cancel", {}), ("checkin", {"value": "on"}), ("confirm", {})):
        url = f"/admin/events/{event_id}/registrations/{ana}/{action}"
        assert post(client, url, data).status_code == 404
    registration = _reg(app, ana)
    assert registration.status == "confirmed" and registration.checked_in_at is None
