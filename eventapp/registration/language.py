"""The language a person is written to in: their mails and their personal calendar."""

from __future__ import annotations

from eventapp.config import LANGUAGES
from eventapp.extensions import db
from eventapp.models import Registration


def mail_languages(registration: Registration) -> tuple[str, ...]:
    """What a person may choose: the event's languages first, then the interface's others
    (their labels are translated; the event's texts then fall back to its first language)."""
    first = registration.event.language_list
    return (*first, *(code for code in LANGUAGES if code not in first))


def change_language(registration: Registration, lang: str) -> bool:
    """Writes to the person in ``lang`` from now on; False (nothing changed) if unknown."""
    if lang not in mail_languages(registration):
        return False
    registration.language = lang
    db.session.commit()
    return True
