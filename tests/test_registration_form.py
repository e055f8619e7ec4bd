"""The registration form and the participant's own pages, as a person uses them."""

from __future__ import annotations

import html
import json
import re
from datetime import datetime, timedelta

import pytest
from factories import make_event, workshops
from helpers import csrf_token, visible_text
from regutil import (
    form_fields,
    outbox,
    person,
    post_registration,
    registration_count,
    reset_rate_limits,
    token_of,
)

from eventapp.extensions import db
from eventapp.models import Registration, RegistrationChoice
from eventapp.registration import find_by_token


@pytest.fixture(autouse=True)
def _fresh_limits():
    reset_rate_limits()
    yield
    reset_rate_limits()


@pytest.fixture
def event(app):
    """An open event: two rounds of three workshops (one per theme), 30 seats each."""
    with app.app_context():
        created = make_event()
        yield {"slug": created.slug, "rounds": workshops(created)}


def field_error(page: str, field: str) -> str:
    """The message shown right beside a field (its error paragraph)."""
    match = re.search(rf'<p class="field-error" id="{field}-error"[^>]*>(.*?)</p>', page, re.S)
    assert match, f"no message beside {field}"
    return html.unescape(match.group(1)).strip()


def test_event_page_offers_registration(client, event) -> None:
    page = client.get(f"/events/{event['slug']}/")
    assert f'href="/events/{event["slug"]}/register"' in page.text
    assert "S'inscrire" in visible_text(page.text)


def test_demo_event_shows_a_clear_closed_page(client, demo) -> None:
    page = client.get(f"/events/{demo}/register")
    assert page.status_code == 200
    assert "Les inscriptions sont closes" in visible_text(page.text)
    assert "<form" not in page.text.split("<main", 1)[1]
    refused = client.post(f"/events/{demo}/register", data=person())
    assert refused.status_code == 400
    assert "Les inscriptions sont closes" in visible_text(refused.text)


def test_form_has_the_contract_field_names_and_seats(client, event) -> None:
    page = client.get(f"/events/{event['slug']}/register")
    names = set(re.findall(r'name="([^"]+)"', page.text))
    assert {"first_name", "last_name", "email", "organisation", "job_title", "consent"} <= names
    assert "csrf_token" in names
    radios = re.findall(r'<input type="radio" name="(workshop[^"]*)"[^>]*value="(\d+)"', page.text)
    by_group: dict[str, list[int]] = {}
    for name, value in radios:
        by_group.setdefault(name, []).append(int(value))
    assert list(by_group.values()) == event["rounds"]
    assert page.text.count('data-seats-left="30"') == 6
    assert "30 places restantes" in visible_text(page.text)
    text = visible_text(page.text)
    assert "12 mois" in text and "gérer ma participation" in text


def test_registering_lands_on_the_participant_page(app, client, event) -> None:
    first, second = event["rounds"][0][0], event["rounds"][1][1]
    response = post_registration(client, event["slug"], [first, second])
    assert response.status_code == 303
    token = token_of(response.headers["Location"])
    assert len(token) >= 32
    page = client.get(f"/r/{token}/")
    assert page.status_code == 200
    assert 'data-status="confirmed"' in page.text
    text = visible_text(page.text)
    assert "Votre inscription est confirmée." in text
    assert "Atelier 1, tour 1" in text and "Atelier 2, tour 2" in text
    assert f'href="/r/{token}/calendar.ics"' in page.text
    assert page.headers["Cache-Control"] == "no-store"
    # the form now shows one seat less in the workshops picked
    form = client.get(f"/events/{event['slug']}/register").text
    assert re.search(rf'value="{first}"\s+data-seats-left="29"', form)

    exported = client.get(f"/r/{token}/export.json")
    data = json.loads(exported.data)
    assert data["status"] == "confirmed"
    assert data["waitlist_position"] is None
    assert data["event"] == event["slug"]
    assert [choice["item_id"] for choice in data["choices"]] == [first, second]
    for choice in data["choices"]:
        start, end = datetime.fromisoformat(choice["start"]), datetime.fromisoformat(choice["end"])
        assert start.tzinfo is not None and end - start == timedelta(hours=1, minutes=30)
    assert data["email"] == "ana.lopez@example.org"
    with app.app_context():
        registration = find_by_token(token)
        assert str(registration.id) not in token or len(token) > 30


BAD_INPUTS = {
    "empty first name": ({"first_name": ""}, "first_name", "Indiquez votre prénom."),
    "blank last name": ({"last_name": "   "}, "last_name", "Indiquez votre nom."),
    "300-character name": ({"first_name": "A" * 300}, "first_name", "100 caractères au plus."),
    "script in a name": (
        {"last_name": "<script>alert(1)</script>"},
        "last_name",
        "Les caractères < et > et les retours à la ligne sont refusés.",
    ),
    "invalid email": ({"email": "ana@@example"}, "email", "Cette adresse e-mail n'est pas valide."),
    "empty email": ({"email": ""}, "email", "Indiquez votre adresse e-mail."),
    "long organisation": ({"organisation": "x" * 300}, "organisation", "200 caractères au plus."),
}


@pytest.mark.parametrize("case", BAD_INPUTS, ids=list(BAD_INPUTS))
def test_bad_fields_are_refused_beside_the_field(app, client, event, case) -> None:
    overrides, field, message = BAD_INPUTS[case]
    picks = [event["rounds"][0][0], event["rounds"][1][1]]
    response = post_registration(client, event["slug"], picks, person(**overrides))
    assert response.status_code == 400
    assert field_error(response.text, field) == message
    assert 'name="first_name"' in response.text
    assert "<script>alert(1)</script>" not in response.text
    assert registration_count(app) == 0
    assert outbox(app) == []


def test_missing_consent_is_refused(app, client, event) -> None:
    data = person()
    del data["consent"]
    picks = [event["rounds"][0][0], event["rounds"][1][1]]
    response = post_registration(client, event["slug"], picks, data)
    assert response.status_code == 400
    assert "Votre accord est nécessaire pour vous inscrire." in visible_text(response.text)
    assert registration_count(app) == 0


def test_workshop_choices_are_checked(app, client, event) -> None:
    rounds = event["rounds"]
    with app.app_context():
        other = workshops(make_event(slug="autre-journee"))
    cases = [
        ({"workshop_1": "999999", "workshop_2": rounds[1][1]}, "workshop_1", "n'existe pas"),
        ({"workshop_1": "abc", "workshop_2": rounds[1][1]}, "workshop_1", "n'existe pas"),
        ({"workshop_1": other[0][0], "workshop_2": rounds[1][1]}, "workshop_1", "n'existe pas"),
        ({"workshop_1": rounds[1][0], "workshop_2": rounds[1][1]}, "workshop_1", "n'existe pas"),
        ({"workshop_1": rounds[0][2], "workshop_2": rounds[1][2]}, "workshop_2", "même thème"),
        ({"workshop_1": rounds[0][0]}, "workshop_2", "Choisissez un atelier pour ce créneau."),
    ]
    for picks, field, message in cases:
        page = client.get(f"/events/{event['slug']}/register")
        payload = form_fields(page.text) | person() | {k: str(v) for k, v in picks.items()}
        response = client.post(f"/events/{event['slug']}/register", data=payload)
        assert response.status_code == 400, picks
        if message == "même thème":
            message = "Vous avez déjà choisi ce thème dans un autre créneau."
        assert message in field_error(response.text, field), picks
    assert registration_count(app) == 0


@pytest.mark.parametrize("token", [None, "", "not-the-token"])
def test_missing_or_wrong_csrf_token_stores_nothing(app, client, event, token) -> None:
    client.get(f"/events/{event['slug']}/register")
    payload = person() | {"workshop_1": event["rounds"][0][0], "workshop_2": event["rounds"][1][1]}
    if token is not None:
        payload["csrf_token"] = token
    response = client.post(f"/events/{event['slug']}/register", data=payload)
    assert response.status_code == 400
    assert "Le formulaire a expiré ou n'est pas valide" in visible_text(response.text)
    assert 'name="first_name"' in response.text
    assert registration_count(app) == 0


def test_quotes_and_ampersands_in_organisation_are_shown_escaped(app, client, event) -> None:
    """< and > are refused (as by the API and the CSV import); what passes is escaped."""
    data = person(organisation='ASBL "Les 3 & 4" l\'Atelier')
    picks = [event["rounds"][0][0], event["rounds"][1][1]]
    response = post_registration(client, event["slug"], picks, data)
    assert response.status_code == 303
    page = client.get(response.headers["Location"])
    assert "ASBL &#34;Les 3 &amp; 4&#34; l&#39;Atelier" in page.text
    [mail] = outbox(app, "confirmed")
    assert "ASBL &#34;Les 3 &amp; 4&#34; l&#39;Atelier" in mail.body_html
    assert 'ASBL "Les 3 & 4" l\'Atelier' in mail.body_text  # plain text as typed


def test_full_workshop_is_marked_and_waitlists(app, client) -> None:
    with app.app_context():
        created = make_event(slug="petite-salle", rounds=1, workshop_capacity=1)
        slug, rounds = created.slug, workshops(created)
    first = post_registration(client, slug, [rounds[0][0]], person("un@example.org"))
    assert first.status_code == 303
    form = client.get(f"/events/{slug}/register").text
    assert re.search(rf'value="{rounds[0][0]}"\s+data-seats-left="0"', form)
    assert "Complet — inscription sur liste d'attente" in visible_text(form)
    second = post_registration(client, slug, [rounds[0][0]], person("deux@example.org"))
    page = client.get(second.headers["Location"])
    assert 'data-status="waitlisted"' in page.text
    assert "Vous êtes sur la liste d'attente. Position : 1" in visible_text(page.text)
    data = client.get(second.headers["Location"] + "export.json").get_json()
    assert data["status"] == "waitlisted" and data["waitlist_position"] == 1
    [mail] = outbox(app, "waitlisted")
    assert mail.recipient == "deux@example.org" and "en position 1" in mail.body_text


def test_same_email_twice_creates_nothing_and_mails_a_fresh_link(app, client, event) -> None:
    picks = [event["rounds"][0][0], event["rounds"][1][1]]
    first = post_registration(client, event["slug"], picks)
    token = token_of(first.headers["Location"])
    again = post_registration(
        client, event["slug"], picks, person("ANA.Lopez@Example.org", first_name="Autre")
    )
    assert again.status_code == 303
    assert again.headers["Location"] == f"/events/{event['slug']}/register/sent"
    sent_page = client.get(again.headers["Location"])
    assert "un nouveau lien personnel lui est envoyé par e-mail" in visible_text(sent_page.text)
    assert token not in sent_page.text
    assert registration_count(app) == 1
    [mail] = outbox(app, "already_registered")
    assert mail.recipient == "ana.lopez@example.org"
    # a fresh link; the one whoever registered first holds leads nowhere now
    assert f"http://127.0.0.1:5000/r/{token}/" not in mail.body_text
    fresh = re.search(r"http://127\.0\.0\.1:5000(/r/[\w-]+/)", mail.body_text).group(1)
    assert client.get(first.headers["Location"]).status_code == 404
    # the participant's page said the same about the mail
    page = client.get(fresh)
    assert "Un e-mail contenant le lien de cette page a été envoyé" in visible_text(page.text)


@pytest.mark.parametrize(
    "again",
    [
        "jose\u0301@example.org",  # é as e + combining accent (NFD)
        "\uff4aos\u00e9@example.org",  # a full-width j
        " JOSÉ@EXAMPLE.ORG ",
    ],
)
def test_one_address_in_another_unicode_form_is_the_same_person(app, client, event, again) -> None:
    picks = [event["rounds"][0][0], event["rounds"][1][1]]
    first = post_registration(client, event["slug"], picks, person("jos\u00e9@example.org"))
    assert first.status_code == 303
    second = post_registration(client, event["slug"], picks, person(again))
    assert second.headers["Location"] == f"/events/{event['slug']}/register/sent"
    assert registration_count(app) == 1


@pytest.mark.parametrize("field", ["organisation", "job_title"])
@pytest.mark.parametrize("value", ["CPAS\x00de Namur", "CPAS\nde Namur", "<b>CPAS</b>"])
def test_organisation_and_job_title_refuse_markup_and_control_characters(
    app, client, event, field, value
) -> None:
    picks = [event["rounds"][0][0], event["rounds"][1][1]]
    answer = post_registration(client, event["slug"], picks, person(**{field: value}))
    assert answer.status_code == 400
    assert "Les caractères < et > et les retours à la ligne sont refusés." in field_error(
        answer.text, field
    )
    assert registration_count(app) == 0


def test_a_form_submitted_twice_creates_one_registration(app, client, event) -> None:
    page = client.get(f"/events/{event['slug']}/register")
    payload = form_fields(page.text) | person()
    payload |= {"workshop_1": event["rounds"][0][0], "workshop_2": event["rounds"][1][1]}
    first = client.post(f"/events/{event['slug']}/register", data=payload)
    second = client.post(f"/events/{event['slug']}/register", data=payload)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert registration_count(app) == 1
    assert len(outbox(app)) == 1


@pytest.mark.parametrize(
    ("opens", "closes", "title"),
    [
        (timedelta(days=2), timedelta(days=20), "Les inscriptions ne sont pas encore ouvertes"),
        (timedelta(days=-20), timedelta(days=-1), "Les inscriptions sont closes"),
    ],
)
def test_registration_window(app, client, opens, closes, title) -> None:
    with app.app_context():
        created = make_event(slug="fenetre", opens=opens, closes=closes)
        slug, rounds = created.slug, workshops(created)
    page = client.get(f"/events/{slug}/register")
    assert page.status_code == 200
    assert title in visible_text(page.text)
    assert 'name="first_name"' not in page.text
    payload = person() | {"csrf_token": csrf_token(page.text)}
    payload |= {"workshop_1": rounds[0][0], "workshop_2": rounds[1][1]}
    refused = client.post(f"/events/{slug}/register", data=payload)
    assert refused.status_code == 400
    assert title in visible_text(refused.text)
    assert registration_count(app) == 0


@pytest.mark.parametrize(
    "path",
    [
        "/r/unknown/",
        "/r/" + "A" * 32 + "/",
        "/r/" + "A" * 32 + "/export.json",
        "/r/" + "A" * 32 + "/cancel",
        "/r/%3Cscript%3E/",
        "/r/" + "x" * 500 + "/",
    ],
)
def test_unknown_or_malformed_token_is_not_found(client, event, path) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert "Page introuvable" in visible_text(response.text)


def test_changing_workshops(app, client, event) -> None:
    rounds = event["rounds"]
    response = post_registration(client, event["slug"], [rounds[0][0], rounds[1][1]])
    location = response.headers["Location"]
    form = client.get(location + "change")
    assert form.status_code == 200
    assert re.search(rf'value="{rounds[0][0]}"\s+data-seats-left="\d+"\s+checked', form.text)
    payload = {"csrf_token": csrf_token(form.text)}
    # the same theme twice is refused, nothing changes
    refused = client.post(
        location + "change",
        data=payload | {"workshop_1": rounds[0][1], "workshop_2": rounds[1][1]},
    )
    assert refused.status_code == 400
    assert "Vous avez déjà choisi ce thème" in visible_text(refused.text)
    changed = client.post(
        location + "change",
        data=payload | {"workshop_1": rounds[0][2], "workshop_2": rounds[1][1]},
    )
    assert changed.status_code == 303 and changed.headers["Location"] == location
    page = visible_text(client.get(location).text)
    assert "Atelier 3, tour 1" in page and "Atelier 1, tour 1" not in page
    assert "Vos choix d'ateliers sont enregistrés." in page
    [mail] = outbox(app, "changed")
    assert "Atelier 3, tour 1" in mail.body_text


def test_a_confirmed_person_cannot_move_into_a_full_workshop(app, client) -> None:
    with app.app_context():
        created = make_event(slug="deux-places", rounds=1, workshop_capacity=1)
        slug, rounds = created.slug, workshops(created)
    post_registration(client, slug, [rounds[0][0]], person("un@example.org"))
    mine = post_registration(client, slug, [rounds[0][1]], person("deux@example.org"))
    location = mine.headers["Location"]
    form = client.get(location + "change").text
    refused = client.post(
        location + "change", data={"csrf_token": csrf_token(form), "workshop_1": rounds[0][0]}
    )
    assert refused.status_code == 400
    assert "Cet atelier est complet." in visible_text(refused.text)
    data = client.get(location + "export.json").get_json()
    assert data["status"] == "confirmed"
    assert [choice["item_id"] for choice in data["choices"]] == [rounds[0][1]]


def test_cancelling_asks_first_then_frees_the_seat(app, client, event) -> None:
    rounds = event["rounds"]
    response = post_registration(client, event["slug"], [rounds[0][0], rounds[1][1]])
    location = response.headers["Location"]
    confirm = client.get(location + "cancel")
    assert "Voulez-vous vraiment annuler" in visible_text(confirm.text)
    assert 'data-status="confirmed"' in client.get(location).text
    no_token = client.post(location + "cancel", data={})
    assert no_token.status_code == 400
    assert 'data-status="confirmed"' in client.get(location).text
    done = client.post(location + "cancel", data={"csrf_token": csrf_token(confirm.text)})
    assert done.status_code == 303
    page = client.get(location)
    assert 'data-status="cancelled"' in page.text
    assert "Votre inscription est annulée." in visible_text(page.text)
    assert client.get(location + "export.json").get_json()["status"] == "cancelled"
    form = client.get(f"/events/{event['slug']}/register").text
    assert re.search(rf'value="{rounds[0][0]}"\s+data-seats-left="30"', form)
    assert len(outbox(app, "cancelled")) == 1


def test_erasing_my_data(app, client) -> None:
    with app.app_context():
        created = make_event(slug="effacer", rounds=1, workshop_capacity=1)
        slug, rounds = created.slug, workshops(created)
    mine = post_registration(client, slug, [rounds[0][0]], person("moi@example.org"))
    waiting = post_registration(client, slug, [rounds[0][0]], person("suivant@example.org"))
    location = mine.headers["Location"]
    confirm = client.get(location + "erase")
    assert "Effacer mes données" in visible_text(confirm.text)
    done = client.post(location + "erase", data={"csrf_token": csrf_token(confirm.text)})
    assert done.status_code == 303
    assert "Vos données ont été effacées." in visible_text(
        client.get(done.headers["Location"]).text
    )
    assert client.get(location).status_code == 404
    assert client.get(location + "export.json").status_code == 404
    with app.app_context():
        rows = db.session.query(Registration).order_by(Registration.id).all()
        assert len(rows) == 2  # the count is kept
        erased = rows[0]
        assert (erased.first_name, erased.last_name, erased.email) == ("", "", "")
        assert erased.status == "cancelled" and erased.erased_at is not None
        assert db.session.query(RegistrationChoice).count() == 2
    assert [mail.recipient for mail in outbox(app)] == ["suivant@example.org"] * 2
    # the freed seat went to the next in line
    assert 'data-status="confirmed"' in client.get(waiting.headers["Location"]).text
    # and the address may register again
    again = post_registration(client, slug, [rounds[0][0]], person("moi@example.org"))
    assert 'data-status="waitlisted"' in client.get(again.headers["Location"]).text


def test_the_erase_page_says_to_cancel_first_to_clear_the_calendar(app, client, event) -> None:
    """Erasing removes the address, so no calendar cancellation can follow: the page says so
    while the registration is still active, and links to cancelling."""
    rounds = event["rounds"]
    picks = [rounds[0][0], rounds[1][1]]
    location = post_registration(client, event["slug"], picks).headers["Location"]
    confirm = client.get(location + "erase")
    text = visible_text(confirm.text)
    assert "les rendez-vous déjà dans votre agenda y resteront" in text
    assert re.search(
        rf'<a href="{re.escape(location)}cancel">Annuler mon inscription</a>', confirm.text
    )
    cancel_page = client.get(location + "cancel")
    client.post(location + "cancel", data={"csrf_token": csrf_token(cancel_page.text)})
    assert len(outbox(app, "cancelled")) == 1  # its METHOD:CANCEL: tests/test_invites.py
    after = visible_text(client.get(location + "erase").text)
    assert "Effacer mes données" in after
    assert "les rendez-vous déjà dans votre agenda y resteront" not in after


def test_the_registration_form_refuses_a_json_body(app, client, event) -> None:
    before = registration_count(app)
    for body in ([1, 2], "texte", {"first_name": 5, "consent": True}):
        answer = client.post(f"/events/{event['slug']}/register", json=body)
        assert answer.status_code == 415
        assert "Rien n'a été modifié." in visible_text(answer.text)
    assert registration_count(app) == before


@pytest.mark.parametrize(
    ("language", "labels"),
    [
        ("fr", ["Prénom", "Nom"]),
        ("en", ["First name", "Last name"]),
        ("nl", ["Voornaam", "Achternaam"]),
    ],
)
def test_the_name_fields_say_which_name(client, event, language, labels) -> None:
    page = client.get(f"/events/{event['slug']}/register", headers={"Accept-Language": language})
    found = re.findall(r'<label for="(?:first|last)_name">([^<]*)', page.text)
    assert [label.strip() for label in found] == labels


def test_registration_is_rate_limited_politely(app, client, event, monkeypatch) -> None:
    monkeypatch.setitem(app.config, "REGISTRATION_RATE_LIMIT", "3 per minute")
    statuses = []
    for number in range(4):
        page = client.get(f"/events/{event['slug']}/register")
        assert page.status_code == 200  # reading the form is never limited
        payload = form_fields(page.text) | person(f"p{number}@example.org")
        payload |= {"workshop_1": event["rounds"][0][0], "workshop_2": event["rounds"][1][1]}
        response = client.post(f"/events/{event['slug']}/register", data=payload)
        statuses.append(response.status_code)
    assert statuses == [303, 303, 303, 429]
    text = visible_text(response.text)
    assert "Trop de demandes" in text and "Merci de patienter" in text
    assert "Retry-After" in response.headers
    assert registration_count(app) == 3


def test_the_same_page_sent_again_for_someone_else_does_not_open_the_first_page(
    app, client, event
) -> None:
    page = client.get(f"/events/{event['slug']}/register")
    picks = {"workshop_1": event["rounds"][0][0], "workshop_2": event["rounds"][1][1]}
    hidden = form_fields(page.text)
    first = client.post(f"/events/{event['slug']}/register", data=hidden | person() | picks)
    other = client.post(
        f"/events/{event['slug']}/register",
        data=hidden | person("bert@example.org", first_name="Bert") | picks,
    )
    assert first.status_code == other.status_code == 303
    assert first.headers["Location"] != other.headers["Location"]
    assert "Bert" in visible_text(client.get(other.headers["Location"]).text)
    assert registration_count(app) == 2


def test_who_cancelled_can_register_again_from_their_page(app, client) -> None:
    with app.app_context():
        created = make_event(slug="retour", rounds=1, workshop_capacity=1)
        slug, rounds = created.slug, workshops(created)
    mine = post_registration(client, slug, [rounds[0][0]], person("moi@example.org"))
    location = mine.headers["Location"]
    confirm = client.get(location + "cancel")
    client.post(location + "cancel", data={"csrf_token": csrf_token(confirm.text)})
    # someone else takes the seat meanwhile
    post_registration(client, slug, [rounds[0][0]], person("autre@example.org"))
    # a new attempt with my address only mails my link (a fresh one)
    again = post_registration(client, slug, [rounds[0][0]], person("moi@example.org"))
    assert again.headers["Location"] == f"/events/{slug}/register/sent"
    [mailed] = outbox(app, "already_registered")
    location = re.search(r"http://127\.0\.0\.1:5000(/r/[\w-]+/)", mailed.body_text).group(1)
    forged = client.post(location + "reactivate", data={})  # no CSRF token
    assert forged.status_code == 303
    page = client.get(location)
    assert 'data-status="cancelled"' in page.text
    assert "Me réinscrire avec les mêmes ateliers" in visible_text(page.text)
    back = client.post(location + "reactivate", data={"csrf_token": csrf_token(page.text)})
    assert back.status_code == 303
    page = client.get(location)
    assert 'data-status="waitlisted"' in page.text
    assert "Position : 1" in visible_text(page.text)
    assert registration_count(app) == 2
