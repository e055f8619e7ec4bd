"""Outgoing mail as a transport: the outbox (eventapp.mail.outbox) stores, claims,
delivers and retries; eventapp.mail.delivery hands a mail to SMTP or writes it as an
.eml file; eventapp.mail.render writes a row's text from templates; eventapp.mail.watch is
the watcher and the ``eventapp mail`` commands.

Nothing here imports a domain module: what a mail says is composed where its subject
lives (eventapp.registration.mails, eventapp.calendar.notify, eventapp.proceedings.notify,
eventapp.admin.mailing), which register their composers with
:func:`eventapp.mail.outbox.composer`.
"""

from eventapp.mail.delivery import WrittenMail, remove_eml_files, written_mails
from eventapp.mail.outbox import (
    Composed,
    DeliveryReport,
    NothingToSend,
    backoff,
    composer,
    deliver_due,
    deliver_new,
    not_due_yet,
    queue,
    queue_many,
)
from eventapp.mail.watch import mail_cli, watch_outbox

__all__ = [
    "Composed",
    "DeliveryReport",
    "NothingToSend",
    "WrittenMail",
    "backoff",
    "composer",
    "deliver_due",
    "deliver_new",
    "mail_cli",
    "not_due_yet",
    "queue",
    "queue_many",
    "remove_eml_files",
    "watch_outbox",
    "written_mails",
]
