"""Organiser accounts: creating them, checking passwords, who may manage which event."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from sqlalchemy import select

from eventapp.admin.passwords import password_problem
from eventapp.extensions import db
from eventapp.models import Event, ItemSpeaker, ProgrammeItem, Speaker, User
from eventapp.models.types import utcnow
from eventapp.models.user import dummy_password_check


class AccountError(ValueError):
    """A refused account operation; the message is meant for the person who asked."""


class PasswordRefused(AccountError):
    """A password the policy refuses (eventapp.admin.passwords); shown beside its field."""


def normalise_email(email: str) -> str:
    try:
        valid = validate_email(email.strip(), check_deliverability=False)
    except EmailNotValidError as error:
        raise AccountError(_("Adresse e-mail invalide : %(reason)s", reason=str(error))) from None
    return valid.normalized.lower()


def user_by_email(email: str) -> User | None:
    return db.session.scalars(select(User).where(User.email == email.strip().lower())).first()


def create_organiser(email: str, password: str, *, is_admin: bool = False) -> User:
    """Creates and commits an account; raises AccountError with the reason when refused."""
    address = normalise_email(email)
    problem = password_problem(password, address)
    if problem:
        raise PasswordRefused(problem)
    if user_by_email(address) is not None:
        raise AccountError(_("Un compte existe déjà pour %(email)s.", email=address))
    user = User(email=address, is_admin=is_admin, active=True)
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    return user


def change_password(user: User, current: str, new: str) -> None:
    """Sets a new password (committed) once the current one is given and the policy holds."""
    if not user.check_password(current):
        raise AccountError(_("Mot de passe actuel incorrect."))
    problem = password_problem(new, user.email)
    if problem:
        raise PasswordRefused(problem)
    user.set_password(new)
    db.session.commit()


def authenticate(email: str, password: str) -> User | None:
    """The active account with this address and password, or None (same time either way)."""
    user = user_by_email(email)
    if user is None:
        dummy_password_check(password)
        return None
    if not user.check_password(password) or not user.active:
        return None
    user.last_login_at = utcnow()
    db.session.commit()
    return user


def can_manage(user: User, event: Event) -> bool:
    return bool(user.is_admin or any(manager.id == user.id for manager in event.managers))


def speakers_of_other_events(user: User, speaker_ids: list[int]) -> set[int]:
    """Of these speakers, those on the programme of an event the user does not manage.

    Speakers are shared by every event; changing one changes every programme, calendar and
    compte-rendu they appear in (and mails those events' participants), so only someone who
    manages all of them, or an administrator, may change them."""
    if user.is_admin or not speaker_ids:
        return set()
    statement = (
        select(ItemSpeaker.speaker_id)
        .join(ProgrammeItem, ProgrammeItem.id == ItemSpeaker.item_id)
        .join(Event, Event.id == ProgrammeItem.event_id)
        .where(
            ItemSpeaker.speaker_id.in_(speaker_ids),
            ~Event.managers.any(User.id == user.id),
        )
        .distinct()
    )
    return set(db.session.scalars(statement))


def speakers_beyond(user: User, speaker_ids: list[int]) -> set[int]:
    """Of these speakers, those the user may neither change nor delete: on the programme of
    an event they do not manage (:func:`speakers_of_other_events`), or on no programme yet
    and prepared by another organiser (who may still be about to place them)."""
    if user.is_admin or not speaker_ids:
        return set()
    placed = select(ItemSpeaker.speaker_id).where(ItemSpeaker.speaker_id.in_(speaker_ids))
    prepared_by_others = select(Speaker.id).where(
        Speaker.id.in_(speaker_ids),
        Speaker.created_by_id.is_not(None),
        Speaker.created_by_id != user.id,
        Speaker.id.not_in(placed),
    )
    return speakers_of_other_events(user, speaker_ids) | set(db.session.scalars(prepared_by_others))


def manageable_events(user: User) -> list[Event]:
    statement = select(Event).order_by(Event.starts_at.desc())
    if not user.is_admin:
        statement = statement.where(Event.managers.any(User.id == user.id))
    return list(db.session.scalars(statement))


def add_manager(event: Event, email: str) -> User:
    """Adds the account with this address to the event's managers (committed)."""
    address = normalise_email(email)
    user = user_by_email(address)
    if user is None or not user.active:
        raise AccountError(
            _(
                "Aucun compte organisateur actif pour %(email)s : un administrateur doit "
                "d'abord le créer.",
                email=address,
            )
        )
    if user in event.managers:
        raise AccountError(_("%(email)s gère déjà cet événement.", email=address))
    event.managers.append(user)
    db.session.commit()
    return user


def remove_manager(event: Event, user: User) -> None:
    if user not in event.managers:
        raise AccountError(_("Ce compte ne gère pas cet événement."))
    if len(event.managers) == 1:
        raise AccountError(_("Un événement garde au moins un gestionnaire."))
    event.managers.remove(user)
    db.session.commit()


def set_active(user: User, active: bool, *, by: User) -> None:
    if user.id == by.id and not active:
        raise AccountError(_("Vous ne pouvez pas désactiver votre propre compte."))
    user.active = active
    db.session.commit()
