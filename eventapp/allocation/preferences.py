"""The ranking people give in preferences mode: the themes offered, the ranks asked, and the
check of a submitted ranking (the form's fields ``rank_1`` … ``rank_k``)."""

from __future__ import annotations

from collections.abc import Mapping

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

from eventapp.models import Event, ProgrammeItem
from eventapp.programme import theme_key
from eventapp.registration.rules import choice_fields

Message = str | LazyString


def offered_themes(event: Event) -> list[tuple[str, ProgrammeItem]]:
    """Every theme key offered by the event's rounds, once, with a workshop that carries it
    (for its title), in programme order."""
    seen: dict[str, ProgrammeItem] = {}
    for _name, block in choice_fields(event):
        for item in block.workshops:
            seen.setdefault(theme_key(item), item)
    return list(seen.items())


def ranks_asked(event: Event) -> int:
    """k: the number of ranks the form asks (every theme unless the event asks fewer)."""
    themes = len(offered_themes(event))
    if event.ranks_asked is None:
        return themes
    return max(0, min(event.ranks_asked, themes))


def rank_fields(event: Event) -> list[str]:
    """The form's fields, best first: ``rank_1`` … ``rank_k``."""
    return [f"rank_{n}" for n in range(1, ranks_asked(event) + 1)]


def check_preferences(
    event: Event, submitted: Mapping[str, str | None]
) -> tuple[list[str], dict[str, Message]]:
    """The theme keys ranked, best first, or a message per faulty field: every rank up to k
    given, each a theme the event offers, each theme once, no rank beyond k."""
    known = {key for key, _item in offered_themes(event)}
    fields = rank_fields(event)
    ranking: list[str] = []
    errors: dict[str, Message] = {}
    for name in fields:
        key = (submitted.get(name) or "").strip()
        if not key:
            errors[name] = _l("Choisissez un thème pour ce rang.")
        elif key not in known:
            errors[name] = _l("Ce thème n'est pas proposé.")
        elif key in ranking:
            errors[name] = _l("Vous avez déjà classé ce thème à un rang précédent.")
        else:
            ranking.append(key)
    for name, value in submitted.items():
        if name.startswith("rank_") and name not in fields and (value or "").strip():
            errors[name] = _l(
                "Seuls les %(count)s premiers rangs sont demandés.", count=len(fields)
            )
    return ranking, errors
