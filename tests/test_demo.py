"""The demo loader: the 1 December 2015 network day, complete and loaded once."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from eventapp.demo import DEMO_SLUG, load_demo, summary
from eventapp.demo.data import SPEAKERS
from eventapp.extensions import db
from eventapp.models import Event, ItemKind, ItemSpeaker, ProgrammeItem, Room, Speaker, Theme
from eventapp.programme import choice_blocks, event_by_slug

SEED_SPEAKERS = {
    # name: the role and organisation as the seed document words them
    "Julien Van Geertsom": "président du SPP Intégration sociale",
    "Elke Sleurs": "secrétaire d'État à la Lutte contre la pauvreté, à l'Égalité des chances, "
    "aux Personnes handicapées, et à la Politique scientifique, chargée des Grandes villes",
    "Prof. Dr. Peter Raeymaeckers": "Université d'Anvers, centre de recherches pour "
    "l'Inégalité, la Pauvreté, l'Exclusion sociale et la Ville (OASeS)",
    "Lara De Jacquier": "CPAS de Gembloux",
    "Nathalie Eeckhout": "psychologue, CPAS de Braine-Le-Comte",
    "Isabelle Colson": "directrice générale",
    "Marilène Pacquet": "Coordinatrice de plateforme, CPAS de Vielsalm",
    "Katja Vanderputten": "CPAS de Bruxelles",
    "Sylvia Lis": "Chef du service Psychologie - jobs de vacances",
    "Hilde Genetello": "collègue, psychologue, CPAS de Gand",
    "Ilse Baeck": "CPAS de Dilbeek",
    "Isabelle Laminé": "CPAS de Dilbeek",
    "Brigitte Vander Herten": "experte du vécu",
    "Maarten Francois": "Régisseur du programme de lutte contre la pauvreté, Direction "
    "Bien-être, équipe de direction, CPAS de Courtrai, ville de Courtrai",
}


def _counts() -> dict[str, int]:
    return {
        model.__name__: db.session.scalar(select(func.count()).select_from(model))
        for model in (Event, Room, Theme, Speaker, ProgrammeItem, ItemSpeaker)
    }


def test_every_seed_speaker_with_role_and_organisation(ctx) -> None:
    load_demo()
    speakers = {s.name: s for s in db.session.scalars(select(Speaker))}
    for name, words in SEED_SPEAKERS.items():
        assert name in speakers, name
        assert words in speakers[name].byline, (name, speakers[name].byline)
    assert set(SPEAKERS) == set(speakers)


def test_four_themes_in_two_afternoon_rounds(ctx) -> None:
    load_demo()
    event = event_by_slug(DEMO_SLUG)
    assert [t.number for t in event.themes] == [1, 2, 3, 4]
    assert event.themes[0].title.startswith("Comment gérer le secret professionnel (partagé)")
    rounds = choice_blocks(event)
    assert len(rounds) == 2
    brussels = ZoneInfo("Europe/Brussels")
    for block in rounds:
        assert sorted(item.theme.number for item in block.items) == [1, 2, 3, 4]
        assert len({item.room_id for item in block.items}) == 4
        assert all(item.kind == ItemKind.WORKSHOP for item in block.items)
        assert event.local(block.starts_at).hour >= 12
    plenaries = [item for item in event.items if item.kind == ItemKind.PLENARY]
    assert [p.title for p in plenaries][0] == "Introduction"
    assert any("KPMG" in s.name for p in plenaries for s in p.speakers)
    assert all(event.local(p.starts_at).hour < 12 for p in plenaries)
    for item in event.items:
        assert item.starts_at.tzinfo is not None
        assert item.starts_at.astimezone(brussels).date() == date(2015, 12, 1)
        assert item.starts_at < item.ends_at


def test_summaries_keep_the_document_nesting(ctx) -> None:
    load_demo()
    event = event_by_slug(DEMO_SLUG)
    by_title = {item.title: item for item in event.items if item.summary_md}
    assert by_title["Introduction"].summary_md == summary("1-introduction")
    assert "  - o La nécessité de plus de pérennité." in by_title["Introduction"].summary_md
    themed = sorted(
        (i for i in event.items if i.summary_md and i.theme), key=lambda i: i.theme.number
    )
    assert [i.theme.number for i in themed] == [1, 2, 3, 4]
    assert "    - l'enfant est au cœur du soutien à l'éducation;" in themed[1].summary_md
    assert themed[3].summary_md.endswith("donnent souvent naissance à un beau partenariat.")
    assert event.introduction_md.startswith("Après la clôture de l'étude-pilote")
    assert "- Thème 4 : Comment adhérer" in event.introduction_md


def test_loading_twice_changes_nothing(ctx) -> None:
    event, created = load_demo()
    assert created
    before = _counts()
    stamp = event.updated_at
    again, created_again = load_demo()
    assert not created_again
    assert again.id == event.id
    assert _counts() == before
    assert again.updated_at == stamp


def test_demo_command_twice(app, ctx) -> None:
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    assert "« journee-reseau-2015 » chargé" in first.output
    assert "« journee-reseau-a-venir » chargé" in first.output
    counts = _counts()
    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0
    assert second.output.count("rien n'a changé") == 2, second.output
    assert _counts() == counts
