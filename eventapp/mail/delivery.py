"""Handing a built mail over: to an SMTP server when ``MAIL_SERVER`` is set, else as an
``.eml`` file in ``OUTBOX_DIR`` (``instance/outbox/``); and finding those files again to
remove them when the person's data is erased."""

from __future__ import annotations

import os
import secrets
import smtplib
import tempfile
from collections.abc import Iterable
from datetime import datetime
from email import policy as email_policy
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import NamedTuple

from flask import current_app
from sqlalchemy import select

from eventapp.extensions import db
from eventapp.models import OutboxMessage
from eventapp.models.types import utcnow


def send(row: OutboxMessage, message: EmailMessage) -> None:
    """Delivers the row's built message: by SMTP, or as an .eml file."""
    if current_app.config.get("MAIL_SERVER"):
        _send_smtp(message)
    else:
        _write_eml(row, message)


def _send_smtp(message: EmailMessage) -> None:
    config = current_app.config
    timeout = float(config.get("MAIL_TIMEOUT", 10))
    with smtplib.SMTP(config["MAIL_SERVER"], int(config["MAIL_PORT"]), timeout=timeout) as smtp:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
        smtp.send_message(message)


def _eml_stem(row_id: int, kind: str, created_at: datetime | None) -> str:
    """The start of the name of the row's .eml file: its time, id and kind."""
    stamp = (created_at or utcnow()).strftime("%Y%m%dT%H%M%S")
    return f"{stamp}-{row_id:06d}-{kind}-"


def _write_eml(row: OutboxMessage, message: EmailMessage) -> Path:
    folder = Path(current_app.config["OUTBOX_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    # A random end: SQLite gives a deleted row's id again, and os.replace would then write
    # over an earlier mail of the same second and kind.
    stem = _eml_stem(row.id, row.kind, row.created_at)
    target = folder / f"{stem}{secrets.token_hex(4)}.eml"
    fd, tmp = tempfile.mkstemp(dir=folder, suffix=".part")
    with os.fdopen(fd, "wb") as handle:
        handle.write(message.as_bytes())
    os.replace(tmp, target)
    return target


class WrittenMail(NamedTuple):
    """What names an outbox row's .eml file (see _write_eml), and whom it went to."""

    id: int
    kind: str
    created_at: datetime | None
    recipient: str


def written_mails(registration_ids: Iterable[int]) -> list[WrittenMail]:
    """The outbox rows of these registrations, as needed to find their .eml files; read
    before the rows are deleted (an erasure), the files removed once that is committed."""
    ids = list(registration_ids)
    if not ids:
        return []
    rows = db.session.execute(
        select(
            OutboxMessage.id, OutboxMessage.kind, OutboxMessage.created_at, OutboxMessage.recipient
        ).where(OutboxMessage.registration_id.in_(ids))
    )
    return [WrittenMail(*row) for row in rows]


def remove_eml_files(mails: Iterable[WrittenMail]) -> int:
    """Deletes the .eml files written for these rows (an erasure: the mails hold the
    person's name, address and private link); a file already gone, or never written (SMTP
    delivered it, or it is still queued), is fine. Returns how many were removed.

    A file is known by its row's time, id and kind, and by its To header: SQLite gives a
    deleted row's id again, so another person's mail of the same second and kind (an
    earlier row, deleted without its file) may carry the same name but is left alone."""
    folder = Path(current_app.config["OUTBOX_DIR"])
    wanted: dict[str, set[str]] = {}
    for mail in mails:
        stem = _eml_stem(mail.id, mail.kind, mail.created_at)
        wanted.setdefault(stem, set()).add(mail.recipient.casefold())
    if not wanted or not folder.is_dir():
        return 0
    removed = 0
    for path in folder.glob("*.eml"):
        # the stem, then the random end (8 hex digits) and ".eml"
        recipients = wanted.get(path.name[: -len("0123abcd.eml")])
        if recipients is None:
            continue
        try:
            with path.open("rb") as handle:
                headers = BytesHeaderParser(policy=email_policy.default).parse(handle)
            if str(headers["To"] or "").casefold() not in recipients:
                continue
            path.unlink()
        except FileNotFoundError:
            continue
        except OSError as error:
            current_app.logger.warning("mail file %s not removed: %s", path.name, error)
            continue
        removed += 1
    return removed
