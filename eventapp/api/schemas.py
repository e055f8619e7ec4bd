"""What the API shows of events, programme items, rooms, themes and speakers."""

from __future__ import annotations

import marshmallow as ma

TRANSLATIONS_DOC = {
    "description": "The texts in the event's other languages, by language code then field "
    '(e.g. {"nl": {"title": "Kinderen eerst"}}); the ordinary fields hold the first language',
    "example": {"nl": {"title": "…"}},
}


class SpeakerSchema(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    role = ma.fields.String()
    organisation = ma.fields.String()
    language = ma.fields.String(metadata={"description": "The language of role and organisation"})
    translations = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String()),
        metadata=TRANSLATIONS_DOC,
    )


class RoomSchema(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    capacity = ma.fields.Integer(allow_none=True)
    translations = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String()),
        metadata=TRANSLATIONS_DOC,
    )


class ThemeSchema(ma.Schema):
    id = ma.fields.Integer()
    number = ma.fields.Integer()
    title = ma.fields.String()
    description_md = ma.fields.String()
    translations = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String()),
        metadata=TRANSLATIONS_DOC,
    )


class ItemSchema(ma.Schema):
    id = ma.fields.Integer()
    guid = ma.fields.String()
    kind = ma.fields.String(metadata={"enum": ["plenary", "workshop", "break"]})
    title = ma.fields.String()
    start = ma.fields.DateTime(format="iso")
    end = ma.fields.DateTime(format="iso")
    room_id = ma.fields.Integer(allow_none=True)
    room = ma.fields.String(allow_none=True)
    theme_id = ma.fields.Integer(allow_none=True)
    capacity = ma.fields.Integer(allow_none=True)
    description_md = ma.fields.String()
    speakers = ma.fields.List(ma.fields.Nested(SpeakerSchema))
    block = ma.fields.Integer(metadata={"description": "Index of the parallel block (round)"})
    translations = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String()),
        metadata=TRANSLATIONS_DOC,
    )
    seats_left = ma.fields.Integer(
        allow_none=True,
        metadata={"description": "Free seats of a workshop now; null: no limit or not a workshop"},
    )


class EventSummarySchema(ma.Schema):
    slug = ma.fields.String()
    title = ma.fields.String()
    subtitle = ma.fields.String()
    organising_body = ma.fields.String()
    project = ma.fields.String()
    start = ma.fields.DateTime(format="iso")
    end = ma.fields.DateTime(format="iso")
    timezone = ma.fields.String()
    language = ma.fields.String(metadata={"description": "The first of ``languages``"})
    languages = ma.fields.List(
        ma.fields.String(),
        metadata={"description": "The languages of the event's texts, the first the fallback"},
    )
    venue_name = ma.fields.String()
    venue_address = ma.fields.String()
    url = ma.fields.Url()


class EventSchema(EventSummarySchema):
    introduction_md = ma.fields.String()
    contact_email = ma.fields.String()
    capacity = ma.fields.Integer(allow_none=True)
    seats_left = ma.fields.Integer(
        allow_none=True, metadata={"description": "Free seats of the event now; null: no limit"}
    )
    rooms = ma.fields.List(ma.fields.Nested(RoomSchema))
    themes = ma.fields.List(ma.fields.Nested(ThemeSchema))
    items = ma.fields.List(ma.fields.Nested(ItemSchema))
    translations = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String()),
        metadata=TRANSLATIONS_DOC,
    )


class ProblemSchema(ma.Schema):
    """An RFC 9457 problem document."""

    type = ma.fields.String()
    title = ma.fields.String()
    status = ma.fields.Integer()
    detail = ma.fields.String()
    errors = ma.fields.Dict(metadata={"description": "Messages per field"})
