"""What organisers send and receive through the API; unknown fields are refused."""

from __future__ import annotations

from zoneinfo import available_timezones

import marshmallow as ma

from eventapp.admin.forms import SLUG_PATTERN
from eventapp.api.schemas import EventSchema, ItemSchema

STRICT_INT = {"strict": True}


def _plausible_year(value) -> None:
    # Time zones give odd historical offsets (e.g. +00:17:30 before 1892): not for events.
    if not 1970 <= value.year <= 2200:
        raise ma.ValidationError("A year between 1970 and 2200.")


def _moment(**kwargs) -> ma.fields.DateTime:
    return ma.fields.DateTime(validate=_plausible_year, **kwargs)


class StrictSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE


def patch_of(schema: type[ma.Schema]) -> type[ma.Schema]:
    """The same fields, every one optional (PATCH), under a name of its own."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("partial", True)
        schema.__init__(self, *args, **kwargs)

    return type(
        schema.__name__.replace("InSchema", "PatchSchema"), (schema,), {"__init__": __init__}
    )


def _text(limit: int | None = None, required: bool = False) -> ma.fields.String:
    validators = [ma.validate.Length(min=1 if required else 0, max=limit)] if limit else []
    if required:
        return ma.fields.String(required=True, validate=validators)
    return ma.fields.String(validate=validators)


def _capacity() -> ma.fields.Integer:
    return ma.fields.Integer(allow_none=True, validate=ma.validate.Range(min=1), **STRICT_INT)


class EventInSchema(StrictSchema):
    title = _text(200, required=True)
    slug = ma.fields.String(
        validate=[
            ma.validate.Length(max=80),
            ma.validate.Regexp(SLUG_PATTERN, error="Lower-case letters, digits and dashes."),
        ],
        metadata={"description": "Left out: made from the title"},
    )
    subtitle = _text(300)
    organising_body = _text(200)
    project = _text(200)
    start = _moment(
        required=True,
        metadata={"description": "ISO 8601; without an offset, in the event's time zone"},
    )
    end = _moment(required=True)
    timezone = ma.fields.String(
        validate=ma.validate.OneOf(sorted(available_timezones()), error="Unknown time zone."),
        metadata={"example": "Europe/Brussels"},
    )
    venue_name = _text(200)
    venue_address = _text(300)
    contact_email = ma.fields.Email(validate=ma.validate.Length(max=254))
    capacity = _capacity()
    introduction_md = ma.fields.String()
    closing_md = ma.fields.String()
    confirm_time_change = ma.fields.Boolean(
        load_default=False,
        metadata={"description": "Needed to change the times of a published or past event"},
    )


class OrganiserEventSchema(EventSchema):
    id = ma.fields.Integer()
    status = ma.fields.String(metadata={"enum": ["draft", "published"]})
    registration_open = ma.fields.Boolean()
    proceedings_published = ma.fields.Boolean()
    closing_md = ma.fields.String()


class OrganiserEventSummarySchema(ma.Schema):
    id = ma.fields.Integer()
    slug = ma.fields.String()
    title = ma.fields.String()
    status = ma.fields.String()
    start = ma.fields.DateTime(format="iso")
    end = ma.fields.DateTime(format="iso")


class RoomInSchema(StrictSchema):
    name = _text(120, required=True)
    capacity = _capacity()
    position = ma.fields.Integer(validate=ma.validate.Range(min=0, max=999), **STRICT_INT)


class ThemeInSchema(StrictSchema):
    number = ma.fields.Integer(
        required=True, validate=ma.validate.Range(min=1, max=999), **STRICT_INT
    )
    title = _text(300, required=True)
    description_md = ma.fields.String()


class SpeakerInSchema(StrictSchema):
    name = _text(200, required=True)
    role = _text(300)
    organisation = _text(300)


class ItemInSchema(StrictSchema):
    kind = ma.fields.String(
        required=True, validate=ma.validate.OneOf(["plenary", "workshop", "break"])
    )
    title = _text(300, required=True)
    start = _moment(required=True)
    end = _moment(required=True)
    room_id = ma.fields.Integer(allow_none=True, **STRICT_INT)
    theme_id = ma.fields.Integer(allow_none=True, **STRICT_INT)
    capacity = _capacity()
    description_md = ma.fields.String()
    summary_md = ma.fields.String()
    speaker_ids = ma.fields.List(
        ma.fields.Integer(**STRICT_INT), metadata={"description": "Speakers, in order"}
    )
    confirm_time_change = ma.fields.Boolean(load_default=False)


class ConflictSchema(ma.Schema):
    type = ma.fields.String()
    message = ma.fields.String()
    item_ids = ma.fields.List(ma.fields.Integer())


class OrganiserItemSchema(ItemSchema):
    summary_md = ma.fields.String()
    cancelled = ma.fields.Boolean()
    conflicts = ma.fields.List(ma.fields.Nested(ConflictSchema))


class RegistrationQuerySchema(StrictSchema):
    status = ma.fields.String(validate=ma.validate.OneOf(["confirmed", "waitlisted", "cancelled"]))
    checked_in = ma.fields.Boolean()
    q = ma.fields.String(
        validate=ma.validate.Length(max=100), metadata={"description": "Part of a name or address"}
    )


class ExportQuerySchema(StrictSchema):
    format = ma.fields.String(load_default="csv", validate=ma.validate.OneOf(["csv", "xlsx"]))


class RegistrationAdminSchema(ma.Schema):
    id = ma.fields.Integer()
    first_name = ma.fields.String()
    last_name = ma.fields.String()
    email = ma.fields.String()
    organisation = ma.fields.String()
    job_title = ma.fields.String()
    status = ma.fields.String(metadata={"enum": ["confirmed", "waitlisted", "cancelled"]})
    waitlist_position = ma.fields.Integer(allow_none=True)
    workshops = ma.fields.List(ma.fields.Integer())
    registered_at = ma.fields.DateTime(format="iso")
    checked_in_at = ma.fields.DateTime(format="iso", allow_none=True)


class MoveSchema(StrictSchema):
    workshops = ma.fields.List(
        ma.fields.Integer(**STRICT_INT),
        required=True,
        metadata={"description": "One programme item id per round"},
    )


EventPatchSchema = patch_of(EventInSchema)
RoomPatchSchema = patch_of(RoomInSchema)
ThemePatchSchema = patch_of(ThemeInSchema)
SpeakerPatchSchema = patch_of(SpeakerInSchema)
ItemPatchSchema = patch_of(ItemInSchema)
