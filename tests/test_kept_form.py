"""The registration form kept once and served to everyone: each visitor's own token and
submission key put in, gzipped without compressing the page again (eventapp.public.kept_page)."""

from __future__ import annotations

import gzip
import re
import zlib

import pytest
from factories import make_event, workshops
from helpers import csrf_token
from regutil import form_fields, person, registration_count, reset_rate_limits, token_of

from eventapp.public.kept_page import KeptPage

GZIP = {"Accept-Encoding": "gzip, deflate, br"}


@pytest.fixture(autouse=True)
def _fresh_limits(app):
    reset_rate_limits()
    yield
    reset_rate_limits()


@pytest.fixture
def event(app):
    with app.app_context():
        created = make_event(workshop_capacity=2)
        yield {"slug": created.slug, "rounds": workshops(created)}


def _inflate(body: bytes) -> bytes:
    """As a browser reads it: one gzip member, nothing after it, checksum and length right
    (zlib raises on a wrong CRC or length)."""
    reader = zlib.decompressobj(zlib.MAX_WBITS | 16)
    data = reader.decompress(body)
    assert reader.eof and not reader.unused_data
    return data


def test_pieces_put_together_are_one_valid_gzip_stream() -> None:
    page = KeptPage.cut("<p>A@@1@@B@@2@@@@1@@</p>" + "x" * 100, {"one": "@@1@@", "two": "@@2@@"})
    big = bytes(range(65, 91)) * 6000  # over one stored block's 65,535 bytes
    values = {"one": b"first", "two": big}
    expected = b"<p>AfirstB" + big + b"first</p>" + b"x" * 100
    assert page.body(values) == expected
    assert _inflate(page.gzipped(values)) == expected
    assert gzip.decompress(page.gzipped({"one": b"", "two": b""})) == b"<p>AB</p>" + b"x" * 100


def test_gzipped_form_is_the_same_page_with_the_visitors_own_token(client, event) -> None:
    url = f"/events/{event['slug']}/register"
    plain = client.get(url)
    client._cookies.clear()
    packed = client.get(url, headers=GZIP)
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed.headers["Vary"]
    assert "Content-Encoding" not in plain.headers
    page = _inflate(packed.data).decode()
    assert len(packed.data) < len(page) / 2
    # The same page but for the two values each visitor gets of their own.
    assert csrf_token(page) != csrf_token(plain.text)
    assert form_fields(page)["submission"] != form_fields(plain.text)["submission"]
    own = re.compile(r'value="[A-Za-z0-9_.-]{16,}"')
    assert own.sub("", page) == own.sub("", plain.text)


def test_a_gzipped_form_registers_and_the_next_one_shows_the_seat_taken(client, event) -> None:
    url = f"/events/{event['slug']}/register"
    first = event["rounds"][0][0]

    def seats_left(page: str) -> str:
        tag = re.search(rf'<input[^>]*value="{first}"[^>]*>', page).group(0)
        return re.search(r'data-seats-left="(\w+)"', tag).group(1)

    page = _inflate(client.get(url, headers=GZIP).data).decode()
    assert seats_left(page) == "2"
    data = form_fields(page) | person()
    data |= {"workshop_1": str(first), "workshop_2": str(event["rounds"][1][1])}
    answer = client.post(url, data=data, headers=GZIP)
    assert answer.status_code == 303, answer.text
    assert token_of(answer.headers["Location"]) and registration_count(client.application) == 1
    client._cookies.clear()
    assert seats_left(_inflate(client.get(url, headers=GZIP).data).decode()) == "1"


def test_another_visitors_token_is_refused(client, event) -> None:
    """Kept once, the page still gives each visitor a token bound to their own session."""
    url = f"/events/{event['slug']}/register"
    someone = _inflate(client.get(url, headers=GZIP).data).decode()
    client._cookies.clear()
    client.get(url, headers=GZIP)  # this visitor's own session
    data = form_fields(someone) | person()
    data |= {"workshop_1": str(event["rounds"][0][0]), "workshop_2": str(event["rounds"][1][1])}
    answer = client.post(url, data=data)
    assert answer.status_code == 400
    assert "Le formulaire a expiré" in answer.text
    assert registration_count(client.application) == 0


# A congress: many rounds over several days --------------------------------------------------


@pytest.fixture
def congress(app):
    from bench.make_large_event import make_large_event

    with app.app_context():
        event = make_large_event(
            "congres", days=2, rooms=6, items=120, speakers=40, registrations=30
        )
        return event.slug


def test_a_congress_form_is_light_one_line_of_markup_per_choice(client, congress) -> None:
    page = client.get(f"/events/{congress}/register").text
    choices = re.findall(r'<div class="workshop-choice[^"]*"><label>(.*?)</label></div>', page)
    assert len(choices) == 120
    # Each choice: its radio inside its label (no id to pair them), title, theme and room,
    # seats; no line breaks or indents of the template's own (a choice took 530 bytes).
    for choice in choices:
        assert choice.count("<input") == 1 and "id=" not in choice
    markup = sum(len(choice) for choice in choices) / len(choices)
    assert markup < 300, markup
    rounds = page.split('<fieldset class="round"', 1)[1].rsplit("</fieldset>", 1)[0]
    assert "\n  " not in rounds and rounds.count("\n") < 3 * 20 + 120


def test_a_congress_form_names_the_day_of_each_round(client, congress) -> None:
    page = client.get(f"/events/{congress}/register").text
    legends = re.findall(r"<legend>(Créneau [^<]*)</legend>", page)
    assert len(legends) == 20  # 120 workshops in 6 rooms
    assert legends[0].startswith("Créneau 1, mercredi 24 mars 2027, 08:00")
    assert any("jeudi 25 mars 2027" in legend for legend in legends)
    dutch = client.get(f"/events/{congress}/register?lang=nl").text
    assert "Tijdslot 1, woensdag 24 maart 2027, 08:00" in dutch


def test_a_one_day_form_keeps_its_short_round_names(client, event) -> None:
    page = client.get(f"/events/{event['slug']}/register").text
    assert re.findall(r"<legend>(Créneau [^<]*)</legend>", page)[0].startswith("Créneau 1, ")
    assert not re.search(r"<legend>Créneau 1, \w+ \d", page)


# Seats left: filled into the kept form, never a page written again -------------------------


def _register(client, slug: str, rounds, email: str) -> None:
    url = f"/events/{slug}/register"
    client._cookies.clear()
    data = form_fields(client.get(url).text) | person(email=email)
    data |= {"workshop_1": str(rounds[0][0]), "workshop_2": str(rounds[1][1])}
    assert client.post(url, data=data).status_code == 303


def test_a_full_event_says_so_on_the_next_form_and_every_choice_reads_full(app, client) -> None:
    with app.app_context():
        created = make_event(slug="petite-journee", event_capacity=1, workshop_capacity=None)
        slug, rounds = created.slug, workshops(created)
    url = f"/events/{slug}/register"
    before = client.get(url).text
    assert "L'événement est complet" not in before
    assert 'data-seats-left="1"' in before and "is-full" not in before
    _register(client, slug, rounds, "premiere@example.org")
    client._cookies.clear()
    after = _inflate(client.get(url, headers=GZIP).data).decode()
    assert "L'événement est complet : vous pouvez vous inscrire sur la liste d'attente." in after
    assert after.count('data-seats-left="0"') == 6 and after.count("is-full") == 6
    assert after.count("Complet") >= 6


def test_a_registration_changes_the_seats_without_writing_the_form_again(app, client, event):
    from flask import template_rendered

    url = f"/events/{event['slug']}/register"
    rendered: list[str] = []

    def record(sender, template, context, **extra):
        rendered.append(template.name)

    client.get(url)
    _register(client, event["slug"], event["rounds"], "ana@example.org")
    template_rendered.connect(record, app)
    try:
        client._cookies.clear()
        page = client.get(url).text
    finally:
        template_rendered.disconnect(record, app)
    assert rendered == []  # the seats were filled into the page kept before
    first = re.search(rf'<input[^>]*value="{event["rounds"][0][0]}"[^>]*>', page).group(0)
    assert 'data-seats-left="1"' in first
