"""Who holds a registration's link, when an address is registered by someone else.

* Asking again for an address already registered mails its owner a fresh link and voids
  the old one (the token rotates, the form's submission key is forgotten), at most once an
  hour per registration: whoever registered somebody else's address loses the page.
* An event whose registrants confirm their address (``Event.confirm_address``) holds the
  seat of a new registration but keeps its page read-only until the link mailed to the
  address is followed (a secret of its own, ``Registration.confirm_token``); the page's
  token rotates then too. A seat left unconfirmed ``Event.confirm_hours`` after its link
  was mailed is released: the registration is erased and the waiting list promoted, from
  ``eventapp registrations release-unconfirmed`` and the mail watcher.

No mail but the confirmation link goes to an address that is not confirmed
(eventapp.registration.mails.enqueue).
"""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select

from eventapp import mail
from eventapp.extensions import db
from eventapp.mail.watch import chore
from eventapp.models import Event, Registration
from eventapp.models.registration import TOKEN_LOOKUP_LENGTH
from eventapp.models.types import utcnow
from eventapp.registration import mails
from eventapp.registration.erasure import anonymise
from eventapp.registration.locking import lock_event
from eventapp.registration.mails import pending_since
from eventapp.registration.seating import new_token, promote_waitlist, refresh

#: At most one link mailed again per registration in this time.
LINK_MAIL_INTERVAL = timedelta(hours=1)
#: The organiser's choice of delay before an unconfirmed seat is released, in hours.
DEFAULT_CONFIRM_HOURS = 48
MIN_CONFIRM_HOURS = 1
MAX_CONFIRM_HOURS = 24 * 14


def rotate_link(registration: Registration) -> None:
    """A new secret for the person's page: the old link leads nowhere, and the form that
    made the registration no longer opens it."""
    token = new_token()
    registration.token = token
    registration.token_lookup = token[:TOKEN_LOOKUP_LENGTH]
    registration.submission_key = None


def hold_for_confirmation(registration: Registration) -> None:
    """Marks a new registration of an event that asks for it as awaiting confirmation of
    its address, and queues the mail with the confirmation link (not the status mail)."""
    registration.confirm_token = secrets.token_urlsafe(32)
    mails.enqueue("confirm_address", registration)


def mail_link_again(registration: Registration, now: datetime) -> bool:
    """Someone asked to register an address already registered: a fresh link to its owner
    (the confirmation link while the address is not confirmed), the old one void; nothing
    when a link was mailed again less than an hour ago. Returns whether a mail was
    queued; the caller commits."""
    last = registration.link_mailed_at
    if last is not None and now - last < LINK_MAIL_INTERVAL:
        return False
    rotate_link(registration)
    registration.link_mailed_at = now
    if registration.awaits_confirmation:
        registration.confirm_token = secrets.token_urlsafe(32)
        mails.enqueue("confirm_address", registration)
    else:
        mails.enqueue("already_registered", registration)
    return True


def confirmation_valid(registration: Registration, key: str) -> bool:
    """Whether ``key`` is the registration's confirmation secret (constant time)."""
    expected = registration.confirm_token
    if expected is None or not key or len(key) > 64:
        return False
    return hmac.compare_digest(expected.encode(), key.encode())


def confirm_address(registration: Registration, key: str) -> bool:
    """Follows the confirmation link: the address is confirmed, the page's link rotates
    (whoever registered it no longer holds it) and the person gets their status mail
    with the new link. False when the key is not (or no longer) the right one."""
    event = registration.event
    try:
        lock_event(event.id)
        refresh(registration)
        if not confirmation_valid(registration, key) or registration.erased_at is not None:
            db.session.commit()
            return False
        registration.confirm_token = None
        rotate_link(registration)
        db.session.flush()
        mails.enqueue(registration.status.value, registration)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return True


def release_deadline(registration: Registration) -> datetime:
    """When the seat of an unconfirmed registration is released."""
    return pending_since(registration) + timedelta(hours=registration.event.confirm_hours)


def release_unconfirmed(now: datetime | None = None) -> int:
    """Releases every seat whose address was not confirmed in time: the registration is
    erased (personal data, mails and link gone) and the waiting list promoted. Returns
    how many were released."""
    now = now or utcnow()
    candidates = db.session.execute(
        select(Registration.id, Registration.event_id)
        .where(Registration.confirm_token.is_not(None), Registration.erased_at.is_(None))
        .order_by(Registration.event_id, Registration.id)
    ).all()
    db.session.commit()
    by_event: dict[int, list[int]] = {}
    for registration_id, event_id in candidates:
        by_event.setdefault(event_id, []).append(registration_id)
    released = 0
    for event_id, ids in by_event.items():
        try:
            lock_event(event_id)
            rows = db.session.scalars(
                select(Registration)
                .where(
                    Registration.id.in_(ids),
                    Registration.confirm_token.is_not(None),
                    Registration.erased_at.is_(None),
                )
                .execution_options(populate_existing=True)
            ).all()
            due = [row for row in rows if release_deadline(row) <= now]
            written = mail.written_mails(row.id for row in due)
            for row in due:
                anonymise(row, now)
                row.confirm_token = None
            if due:
                db.session.flush()
                promote_waitlist(db.session.get(Event, event_id))
            db.session.commit()
        except BaseException:
            db.session.rollback()
            raise
        mail.remove_eml_files(written)
        released += len(due)
    return released


@chore("release unconfirmed registrations")
def _release_chore() -> None:
    release_unconfirmed()  # the watcher delivers the promotions' mails in its next round
