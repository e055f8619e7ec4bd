"""What organisers send and receive through the API; unknown fields are refused."""

from __future__ import annotations

from zoneinfo import available_timezones

import marshmallow as ma

from eventapp.admin.forms import MULTI_LINE_FORBIDDEN, SINGLE_LINE_FORBIDDEN, SLUG_PATTERN
from eventapp.api.schemas import TRANSLATIONS_DOC, EventSchema, ItemSchema
from eventapp.config import LANGUAGES
from eventapp.limits import FIRST_YEAR, LAST_YEAR, MAX_CAPACITY, in_year_window
from eventapp.proceedings.authoring import MAX_TEXT_LENGTH
from eventapp.registration.confirmation import MAX_CONFIRM_HOURS, MIN_CONFIRM_HOURS

STRICT_INT = {"strict": True}


def _plausible_year(value) -> None:
    # Time zones give odd historical offsets (e.g. +00:17:30 before 1892): not for events.
    if not in_year_window(value):
        raise ma.ValidationError(f"A year between {FIRST_YEAR} and {LAST_YEAR}.")


def _moment(**kwargs) -> ma.fields.DateTime:
    return ma.fields.DateTime(validate=_plausible_year, **kwargs)


def is_multi_line(name: str) -> bool:
    """Markdown fields (``…_md``) hold line breaks; every other text is one line."""
    return name.endswith("_md")


class StrictSchema(ma.Schema):
    """Unknown fields are refused, and so are control characters in every text: none in a
    one-line field, only tab, CR and LF in a Markdown one (PostgreSQL refuses NUL; XML and
    iCalendar forbid the others)."""

    class Meta:
        unknown = ma.RAISE

    @ma.validates_schema(skip_on_field_errors=False)
    def _no_control_characters(self, data: dict, **kwargs) -> None:
        errors = {}
        for name, field in self.fields.items():
            value = data.get(name)
            if not isinstance(field, ma.fields.String) or not isinstance(value, str):
                continue
            if is_multi_line(name):
                if MULTI_LINE_FORBIDDEN.search(value):
                    errors[name] = ["No control characters (tab, CR and LF are allowed)."]
            elif SINGLE_LINE_FORBIDDEN.search(value):
                errors[name] = ["One line, without control characters."]
        if errors:
            raise ma.ValidationError(errors)


def patch_of(schema: type[ma.Schema]) -> type[ma.Schema]:
    """The same fields, every one optional (PATCH), under a name of its own."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("partial", True)
        schema.__init__(self, *args, **kwargs)

    return type(
        schema.__name__.replace("InSchema", "PatchSchema"), (schema,), {"__init__": __init__}
    )


def _not_blank(value: str) -> None:
    if not value.strip():
        raise ma.ValidationError("Required: more than spaces.")


def _text(limit: int | None = None, required: bool = False) -> ma.fields.String:
    validators: list = [ma.validate.Length(max=limit)] if limit else []
    if required:
        return ma.fields.String(required=True, validate=[*validators, _not_blank])
    return ma.fields.String(validate=validators)


def _markdown() -> ma.fields.String:
    return ma.fields.String(
        validate=ma.validate.Length(
            max=MAX_TEXT_LENGTH, error=f"At most {MAX_TEXT_LENGTH:,} characters."
        )
    )


def _translations(limits: dict[str, int | None], name: str) -> ma.fields.Dict:
    """``{"nl": {"title": "…"}}``: the texts in the event's other languages, each field
    checked as its first-language value is (``None``: a Markdown text)."""
    fields = {
        field: _markdown() if limit is None else _text(limit) for field, limit in limits.items()
    }
    texts = type(name, (StrictSchema,), fields)
    return ma.fields.Dict(
        keys=ma.fields.String(validate=ma.validate.OneOf(LANGUAGES, error="Unknown language.")),
        values=ma.fields.Nested(texts),
        metadata=TRANSLATIONS_DOC,
    )


def _capacity() -> ma.fields.Integer:
    return ma.fields.Integer(
        allow_none=True, validate=ma.validate.Range(min=1, max=MAX_CAPACITY), **STRICT_INT
    )


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
    introduction_md = _markdown()
    closing_md = _markdown()
    languages = ma.fields.List(
        ma.fields.String(validate=ma.validate.OneOf(LANGUAGES, error="Unknown language.")),
        validate=ma.validate.Length(min=1, max=len(LANGUAGES)),
        metadata={"description": "The languages of the event's texts, the first the fallback"},
    )
    translations = _translations(
        {
            "title": 200,
            "subtitle": 300,
            "organising_body": 200,
            "project": 200,
            "venue_name": 200,
            "venue_address": 300,
            "introduction_md": None,
            "closing_md": None,
            "proceedings_cover_line": 200,
            "proceedings_chapter": 200,
        },
        "EventTexts",
    )
    confirm_address = ma.fields.Boolean(
        metadata={
            "description": "Registrants confirm their address by a mailed link before they "
            "can manage their registration (recommended); default false"
        }
    )
    confirm_hours = ma.fields.Integer(
        validate=ma.validate.Range(min=MIN_CONFIRM_HOURS, max=MAX_CONFIRM_HOURS),
        metadata={"description": "Hours after which an unconfirmed seat is released; 48"},
        **STRICT_INT,
    )
    allocation_mode = ma.fields.String(
        validate=ma.validate.OneOf(
            ["first-come", "preferences"], error="Either first-come or preferences."
        ),
        metadata={
            "description": "How people get workshop seats: first-come (first come, first "
            "served; the default) or preferences (they rank the themes, rank_1…rank_k, and "
            "stay pending until an allocation runs). Refused while people are registered "
            "under the other mode"
        },
    )
    ranks_asked = ma.fields.Integer(
        allow_none=True,
        validate=ma.validate.Range(min=1, max=999),
        metadata={
            "description": "k: how many ranks the form asks in preferences mode; null asks "
            "every theme (the default). At most the number of themes offered; refused once "
            "someone has ranked the themes"
        },
        **STRICT_INT,
    )
    after_allocation = ma.fields.String(
        validate=ma.validate.OneOf(
            ["first-come", "pending"], error="Either first-come or pending."
        ),
        metadata={
            "description": "Registrations after an allocation has run: first-come (seated at "
            "once on the seats left, by their ranking; the default) or pending (until the "
            "next run)"
        },
    )
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
    confirm_address = ma.fields.Boolean()
    confirm_hours = ma.fields.Integer()
    allocation_mode = ma.fields.String(metadata={"enum": ["first-come", "preferences"]})
    ranks_asked = ma.fields.Integer(
        allow_none=True, metadata={"description": "k; null: every theme"}
    )
    after_allocation = ma.fields.String(metadata={"enum": ["first-come", "pending"]})


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
    translations = _translations({"name": 120}, "RoomTexts")


class ThemeInSchema(StrictSchema):
    number = ma.fields.Integer(
        required=True, validate=ma.validate.Range(min=1, max=999), **STRICT_INT
    )
    title = _text(300, required=True)
    description_md = _markdown()
    translations = _translations({"title": 300, "description_md": None}, "ThemeTexts")


class SpeakerInSchema(StrictSchema):
    name = _text(200, required=True)
    role = _text(300)
    organisation = _text(300)
    translations = _translations({"role": 300, "organisation": 300}, "SpeakerTexts")


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
    description_md = _markdown()
    summary_md = _markdown()
    speaker_ids = ma.fields.List(
        ma.fields.Integer(**STRICT_INT), metadata={"description": "Speakers, in order"}
    )
    translations = _translations(
        {"title": 300, "description_md": None, "summary_md": None}, "ItemTexts"
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
