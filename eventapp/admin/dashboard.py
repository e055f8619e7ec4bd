"""The event's dashboard: figures and the geometry of its two charts.

The charts are drawn as SVG by templates/admin/dashboard.html from the plain records made
here (no chart library): every mark also carries its value as text, the waiting list is
hatched as well as coloured, and a table repeats the figures for screen readers.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from eventapp.admin.registrations import Counts, WorkshopCount
from eventapp.extensions import db
from eventapp.i18n import clock_time
from eventapp.i18n import gettext as _
from eventapp.models import Event, OutboxMessage, OutboxStatus, Registration


@dataclass
class DayCount:
    day: date
    new: int
    total: int


def registrations_by_day(event: Event, registrations: list[Registration]) -> list[DayCount]:
    """Registrations received each day (the event's local dates, days without any
    included) and the running total, from the first registration to the last."""
    per_day: dict[date, int] = {}
    for registration in registrations:
        day = event.local(registration.created_at).date()
        per_day[day] = per_day.get(day, 0) + 1
    if not per_day:
        return []
    days, total = [], 0
    day, last = min(per_day), max(per_day)
    while day <= last:
        total += per_day.get(day, 0)
        days.append(DayCount(day, per_day.get(day, 0), total))
        day += timedelta(days=1)
    return days


@dataclass
class MailCounts:
    queued: int
    failed: int
    sent: int
    last_error: str
    #: Mails that can never be delivered (marked failed), latest first: whom, what, why.
    undeliverable: list[UndeliverableMail] = field(default_factory=list)


@dataclass
class UndeliverableMail:
    recipient: str
    kind: str
    created_at: datetime
    reason: str


def mail_counts(event: Event) -> MailCounts:
    """The event's mails: waiting for delivery, failed at least once (still queued and
    retried), delivered; and the latest error."""
    of_event = OutboxMessage.registration_id.in_(
        select(Registration.id).where(Registration.event_id == event.id)
    )
    rows = db.session.execute(
        select(OutboxMessage.status, OutboxMessage.attempts, func.count(OutboxMessage.id))
        .where(of_event)
        .group_by(OutboxMessage.status, OutboxMessage.attempts)
    ).all()
    counts = {"queued": 0, "failed": 0, "sent": 0}
    for status, attempts, number in rows:
        if status == OutboxStatus.SENT:
            counts["sent"] += number
        elif status == OutboxStatus.FAILED:
            continue  # listed one by one below
        elif attempts:
            counts["failed"] += number
        else:
            counts["queued"] += number
    last_error = db.session.scalar(
        select(OutboxMessage.last_error)
        .where(of_event, OutboxMessage.status == OutboxStatus.QUEUED, OutboxMessage.attempts > 0)
        .order_by(OutboxMessage.id.desc())
        .limit(1)
    )
    undeliverable = [
        UndeliverableMail(*row)
        for row in db.session.execute(
            select(
                OutboxMessage.recipient,
                OutboxMessage.kind,
                OutboxMessage.created_at,
                OutboxMessage.last_error,
            )
            .where(of_event, OutboxMessage.status == OutboxStatus.FAILED)
            .order_by(OutboxMessage.id.desc())
            .limit(100)
        )
    ]
    return MailCounts(**counts, last_error=last_error or "", undeliverable=undeliverable)


# --- chart geometry ---------------------------------------------------------------------

TIMELINE_WIDTH, TIMELINE_HEIGHT = 640, 240
PLOT_LEFT, PLOT_RIGHT, PLOT_TOP, PLOT_BOTTOM = 48, 620, 20, 200


@dataclass
class Point:
    x: float
    y: float
    count: DayCount


@dataclass
class Tick:
    y: float
    value: int


@dataclass
class Timeline:
    points: list[Point]
    ticks: list[Tick]
    path: str
    area: str
    width: int = TIMELINE_WIDTH
    height: int = TIMELINE_HEIGHT
    left: int = PLOT_LEFT
    right: int = PLOT_RIGHT
    top: int = PLOT_TOP
    bottom: int = PLOT_BOTTOM


def timeline(days: list[DayCount]) -> Timeline | None:
    """A running-total line over the days (None when nobody registered yet)."""
    if not days:
        return None
    top = max(days[-1].total, 1)
    span = max(len(days) - 1, 1)

    def y_of(value: int) -> float:
        return round(PLOT_BOTTOM - (PLOT_BOTTOM - PLOT_TOP) * value / top, 1)

    points = [
        Point(
            x=round(PLOT_LEFT + (PLOT_RIGHT - PLOT_LEFT) * index / span, 1)
            if len(days) > 1
            else (PLOT_LEFT + PLOT_RIGHT) / 2,
            y=y_of(day.total),
            count=day,
        )
        for index, day in enumerate(days)
    ]
    values = sorted({0, top // 2, top})
    path = "M" + " L".join(f"{p.x},{p.y}" for p in points)
    area = f"{path} L{points[-1].x},{PLOT_BOTTOM} L{points[0].x},{PLOT_BOTTOM} Z"
    return Timeline(points, [Tick(y_of(v), v) for v in values], path, area)


BAR_LABEL_WIDTH, BAR_WIDTH, BAR_HEIGHT, BAR_GAP = 290, 300, 22, 14
# Each bar's label: the workshop's title on up to LABEL_LINES lines of about LABEL_CHARS
# characters (13 px type in BAR_LABEL_WIDTH), cut at its end if longer, then its round and
# times on a line of their own; a line every LINE_HEIGHT px.
LABEL_CHARS, LABEL_LINES, LINE_HEIGHT = 38, 2, 15
ROW_HEIGHT = (LABEL_LINES + 1) * LINE_HEIGHT + BAR_GAP


@dataclass
class Bar:
    workshop: WorkshopCount
    y: int
    confirmed_width: float
    waitlist_width: float
    capacity_width: float | None
    lines: list[str]  # the title, wrapped and cut at its end when too long
    when: str  # its round and times: the same theme may run in two rounds

    @property
    def label_y(self) -> int:
        """The first label line's baseline, so the label block is centred on the bar."""
        block = (len(self.lines) + 1) * LINE_HEIGHT
        return self.y + BAR_HEIGHT // 2 - block // 2 + LINE_HEIGHT - 3


@dataclass
class FillChart:
    bars: list[Bar]
    width: int
    height: int
    bar_left: int = BAR_LABEL_WIDTH
    bar_height: int = BAR_HEIGHT
    line_height: int = LINE_HEIGHT


def label_lines(text: str) -> list[str]:
    """The title on at most LABEL_LINES lines, cut at its end ("…") when it does not fit:
    its beginning, where a title says what it is about, is always shown."""
    return textwrap.wrap(
        " ".join(text.split()),
        width=LABEL_CHARS,
        max_lines=LABEL_LINES,
        placeholder=" …",
        break_on_hyphens=False,
    ) or [""]


def round_label(workshop: WorkshopCount, tz: str) -> str:
    """Which round the workshop is in, and its times where the event takes place."""
    item = workshop.item
    return _(
        "Créneau %(number)s, %(start)s–%(end)s",
        number=workshop.round,
        start=clock_time(item.starts_at, tz),
        end=clock_time(item.ends_at, tz),
    )


def fill_chart(counts: Counts, timezone: str) -> FillChart | None:
    """One bar per workshop on a common scale: confirmed seats (solid), waiting list
    (hatched, after them) and the capacity (outline)."""
    if not counts.workshops:
        return None
    scale = max(max(w.capacity or 0, w.confirmed + w.waitlisted, 1) for w in counts.workshops)
    bars = []
    for index, workshop in enumerate(counts.workshops):
        bars.append(
            Bar(
                workshop=workshop,
                y=index * ROW_HEIGHT + (ROW_HEIGHT - BAR_HEIGHT) // 2,
                confirmed_width=round(BAR_WIDTH * workshop.confirmed / scale, 1),
                waitlist_width=round(BAR_WIDTH * workshop.waitlisted / scale, 1),
                capacity_width=round(BAR_WIDTH * workshop.capacity / scale, 1)
                if workshop.capacity
                else None,
                lines=label_lines(workshop.item.title),
                when=round_label(workshop, timezone),
            )
        )
    height = len(bars) * ROW_HEIGHT + 8
    return FillChart(bars, width=BAR_LABEL_WIDTH + BAR_WIDTH + 300, height=height)
