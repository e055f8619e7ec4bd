"""The event aggregate: an event, its rooms, themes, programme items and their speakers."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import Enum, ForeignKey, String, Text, UniqueConstraint, false, true
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from eventapp.config import LANGUAGES
from eventapp.extensions import db
from eventapp.models.translated import LocalText, Translated, language_codes
from eventapp.models.types import UTCDateTime, utcnow

if TYPE_CHECKING:
    from eventapp.models.user import User


class EventStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


class ItemKind(enum.StrEnum):
    PLENARY = "plenary"
    WORKSHOP = "workshop"
    BREAK = "break"


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    # Stored as plain strings (no native ENUM type) so SQLite and PostgreSQL migrate alike.
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=20,
        values_callable=lambda members: [m.value for m in members],
    )


class Event(Translated, db.Model):
    __tablename__ = "event"
    TRANSLATED = (
        "title",
        "subtitle",
        "organising_body",
        "project",
        "venue_name",
        "venue_address",
        "introduction_md",
        "closing_md",
        "proceedings_cover_line",
        "proceedings_chapter",
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    subtitle: Mapped[str] = mapped_column(String(300), default="")
    organising_body: Mapped[str] = mapped_column(String(200), default="")
    project: Mapped[str] = mapped_column(String(200), default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Brussels")
    venue_name: Mapped[str] = mapped_column(String(200), default="")
    venue_address: Mapped[str] = mapped_column(String(300), default="")
    introduction_md: Mapped[str] = mapped_column(Text, default="")
    closing_md: Mapped[str] = mapped_column(Text, default="")
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    capacity: Mapped[int | None]
    registration_opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    registration_closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[EventStatus] = mapped_column(
        _enum(EventStatus, "event_status"), default=EventStatus.DRAFT
    )
    proceedings_published: Mapped[bool] = mapped_column(default=False)
    # The compte-rendu's own words: the line under the title on its cover ("Compte-rendu de
    # la journée réseau") and its chapter's heading ("Journée réseau"); empty, they read
    # "Compte-rendu" and the event's title.
    proceedings_cover_line: Mapped[str] = mapped_column(String(200), default="", server_default="")
    proceedings_chapter: Mapped[str] = mapped_column(String(200), default="", server_default="")
    registration_open: Mapped[bool] = mapped_column(default=True, server_default=true())
    # Registrants confirm their address by following a mailed link; unconfirmed seats
    # are released after ``confirm_hours`` (eventapp.registration.confirmation).
    confirm_address: Mapped[bool] = mapped_column(default=False, server_default=false())
    confirm_hours: Mapped[int] = mapped_column(default=48, server_default="48")
    language: Mapped[str] = mapped_column(String(8), default="fr")
    # The languages its texts are written in, in order ("fr,nl"); the first is the
    # fallback and the language of the ordinary columns. ``language`` is kept equal to it.
    languages: Mapped[str] = mapped_column(String(40), default="fr", server_default="fr")
    # How people get workshop seats (eventapp.allocation): "first-come" (first come, first
    # served) or "preferences" (they rank the themes, pending until an allocation runs).
    allocation_mode: Mapped[str] = mapped_column(
        String(20), default="first-come", server_default="first-come"
    )
    # k: the number of ranks asked in preferences mode; NULL asks every theme.
    ranks_asked: Mapped[int | None]
    # Registrations after an allocation ran: "first-come" on the seats left, or "pending"
    # until the next run.
    after_allocation: Mapped[str] = mapped_column(
        String(20), default="first-come", server_default="first-come"
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    rooms: Mapped[list[Room]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="Room.position"
    )
    themes: Mapped[list[Theme]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="Theme.number"
    )
    items: Mapped[list[ProgrammeItem]] = relationship(
        back_populates="event",
        cascade="all, delete-orphan",
        order_by="(ProgrammeItem.starts_at, ProgrammeItem.room_id, ProgrammeItem.id)",
    )
    managers: Mapped[list[User]] = relationship(secondary="event_manager", order_by="User.email")

    @property
    def language_list(self) -> tuple[str, ...]:
        return language_codes(self.languages)

    def declare_languages(self, codes: list[str] | tuple[str, ...]) -> None:
        """Sets the event's languages, the first becoming the fallback."""
        self.languages = ",".join(language_codes(",".join(codes)))
        self.language = self.language_list[0]

    @validates("language")
    def _first_language(self, _key: str, value: str) -> str:
        # Whoever sets the event's language (an import, a duplicate) sets its first one.
        if value in LANGUAGES and not self.languages:  # a new event: that language alone
            self.languages = value
            return value
        current = language_codes(self.languages or "")
        if value in LANGUAGES and current[0] != value:
            self.languages = ",".join((value, *(code for code in current if code != value)))
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def is_published(self) -> bool:
        return self.status == EventStatus.PUBLISHED

    def local(self, instant: datetime) -> datetime:
        """The instant as wall-clock time where the event takes place."""
        return instant.astimezone(self.tz)

    def __repr__(self) -> str:
        return f"<Event {self.slug}>"


class Room(Translated, db.Model):
    __tablename__ = "room"
    TRANSLATED = ("name",)
    __table_args__ = (UniqueConstraint("event_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    capacity: Mapped[int | None]
    position: Mapped[int] = mapped_column(default=0)

    event: Mapped[Event] = relationship(back_populates="rooms")

    @property
    def language_list(self) -> tuple[str, ...]:
        return self.event.language_list


class Theme(Translated, db.Model):
    __tablename__ = "theme"
    TRANSLATED = ("title", "description_md")
    __table_args__ = (UniqueConstraint("event_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    title: Mapped[str] = mapped_column(String(300))
    description_md: Mapped[str] = mapped_column(Text, default="")

    event: Mapped[Event] = relationship(back_populates="themes")

    @property
    def language_list(self) -> tuple[str, ...]:
        return self.event.language_list


class Speaker(Translated, db.Model):
    """A person who speaks; kept across events so organisers find them again by name.

    Their role and organisation are written in ``language`` and translated beside it.
    """

    __tablename__ = "speaker"
    TRANSLATED = ("role", "organisation")

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    role: Mapped[str] = mapped_column(String(300), default="")
    organisation: Mapped[str] = mapped_column(String(300), default="")
    # Who prepared the speaker: until the speaker is on a programme, only they (or an
    # administrator) change or delete them. None for older rows and imports: anyone.
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), default=None
    )
    language: Mapped[str] = mapped_column(String(8), default="fr", server_default="fr")

    @property
    def language_list(self) -> tuple[str, ...]:
        others = tuple(code for code in LANGUAGES if code != self.language)
        return (self.language or "fr", *others)

    @property
    def byline(self) -> str:
        """ "Name, role, organisation", leaving out the parts that are empty."""
        return ", ".join(part for part in (self.name, self.role, self.organisation) if part)

    def byline_in(self, lang: str) -> LocalText:
        """The byline in a language; marked with the fallback's language when a part is."""
        role, organisation = self.text("role", lang), self.text("organisation", lang)
        parts = [part for part in (self.name, role, organisation) if part]
        shown = {part.lang for part in (role, organisation) if part}
        return LocalText(", ".join(parts), lang if shown <= {lang} else self.base_language)


class ProgrammeItem(Translated, db.Model):
    """One scheduled thing of an event: a plenary talk, a workshop or a break."""

    __tablename__ = "programme_item"
    TRANSLATED = ("title", "description_md", "summary_md")
    __table_args__ = (UniqueConstraint("event_id", "guid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stable identity across exports and imports (frab/pretalx schedules match items on it).
    guid: Mapped[str] = mapped_column(String(64), default=lambda: str(uuid.uuid4()))
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    kind: Mapped[ItemKind] = mapped_column(_enum(ItemKind, "item_kind"))
    title: Mapped[str] = mapped_column(String(300))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    room_id: Mapped[int | None] = mapped_column(ForeignKey("room.id", ondelete="RESTRICT"))
    theme_id: Mapped[int | None] = mapped_column(ForeignKey("theme.id", ondelete="RESTRICT"))
    capacity: Mapped[int | None]
    # What the programme announces beforehand, and what the compte-rendu reports afterwards.
    description_md: Mapped[str] = mapped_column(Text, default="")
    summary_md: Mapped[str] = mapped_column(Text, default="")
    # Grows with every change a calendar client must see (time, place, title, speakers).
    sequence: Mapped[int] = mapped_column(default=0)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    event: Mapped[Event] = relationship(back_populates="items")
    room: Mapped[Room | None] = relationship()
    theme: Mapped[Theme | None] = relationship()
    speaker_links: Mapped[list[ItemSpeaker]] = relationship(
        back_populates="item", cascade="all, delete-orphan", order_by="ItemSpeaker.position"
    )

    @property
    def language_list(self) -> tuple[str, ...]:
        return self.event.language_list

    @property
    def speakers(self) -> list[Speaker]:
        return [link.speaker for link in self.speaker_links]

    def overlaps(self, other: ProgrammeItem) -> bool:
        return self.starts_at < other.ends_at and other.starts_at < self.ends_at

    def __repr__(self) -> str:
        return f"<ProgrammeItem {self.id} {self.kind} {self.title!r}>"


class ItemSpeaker(Translated, db.Model):
    """A speaker of an item, in order; ``credit`` is how the compte-rendu names them.

    Left empty, the credit is the speaker's byline. Speakers of one item who share the
    same credit text are named together on one line (as "X, role, Y, role, organisation").
    """

    __tablename__ = "item_speaker"
    TRANSLATED = ("credit",)
    __table_args__ = (UniqueConstraint("item_id", "speaker_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(
        ForeignKey("programme_item.id", ondelete="CASCADE"), index=True
    )
    speaker_id: Mapped[int] = mapped_column(ForeignKey("speaker.id", ondelete="RESTRICT"))
    position: Mapped[int] = mapped_column(default=0)
    credit: Mapped[str] = mapped_column(String(500), default="")

    item: Mapped[ProgrammeItem] = relationship(back_populates="speaker_links")
    speaker: Mapped[Speaker] = relationship(lazy="joined")

    @property
    def language_list(self) -> tuple[str, ...]:
        return self.item.language_list
