"""Public registration through the API: the form's rules, rate limit and mails, JSON only."""

from __future__ import annotations

import marshmallow as ma
from flask import current_app, jsonify
from flask_babel import get_locale
from flask_smorest import Blueprint, abort

from eventapp import mail
from eventapp.allocation.preferences import check_preferences
from eventapp.allocation.seating import PREFERENCES_MODE
from eventapp.api.common import PROBLEM_JSON, check_body
from eventapp.api.schemas import ProblemSchema
from eventapp.interop.registration_csv import workshop_picks
from eventapp.programme import published_event
from eventapp.public.registration import _registration_limit, limiter
from eventapp.registration import (
    Applicant,
    Window,
    check_choices,
    register,
    registration_window,
    waitlist_position,
)
from eventapp.registration.rules import NO_MARKUP, valid_email

blp = Blueprint(
    "api_registration", __name__, description="Registering to a published event (JSON only)"
)
blp.before_request(check_body)


# The registration rule's character class, as a pattern the OpenAPI document shows.
PLAIN = ma.validate.Regexp(
    f"^[^{NO_MARKUP.pattern[1:-1]}]*$", error="< > and line breaks are refused."
)


def _name(limit: int, required: bool = True) -> ma.fields.String:
    validators = [ma.validate.Length(min=1 if required else 0, max=limit), PLAIN]
    if required:
        return ma.fields.String(required=True, validate=validators)
    return ma.fields.String(load_default="", validate=validators)


def _email(value: str) -> None:
    """The registration form's rule (eventapp.registration.rules.valid_email)."""
    if not valid_email(value):
        raise ma.ValidationError("Not a valid email address.")


class RegistrationInSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    first_name = _name(100)
    last_name = _name(100)
    email = ma.fields.String(
        required=True,
        validate=[ma.validate.Length(max=254), _email],
        metadata={"format": "email", "description": "Checked as the registration form does"},
    )
    organisation = _name(200, required=False)
    job_title = _name(200, required=False)
    consent = ma.fields.Boolean(
        required=True,
        validate=ma.validate.Equal(True, error="Consent is needed to register."),
        metadata={"description": "Must be true: the person agrees to the use of their data"},
    )
    workshops = ma.fields.List(
        ma.fields.Integer(strict=True),
        load_default=list,
        metadata={"description": "One programme item id per round of parallel workshops"},
    )
    preferences = ma.fields.List(
        ma.fields.String(validate=ma.validate.Length(max=40)),
        load_default=None,
        validate=ma.validate.Length(max=100),
        metadata={
            "description": "An event in preferences mode: theme keys, best first (rank_1 … "
            "rank_k of the form); the registration is then pending until the allocation"
        },
    )

    @ma.pre_load
    def _strip(self, data, **kwargs):
        if isinstance(data, dict):
            return {k: v.strip() if isinstance(v, str) else v for k, v in data.items()}
        return data


class RegistrationOutSchema(ma.Schema):
    status = ma.fields.String(metadata={"enum": ["confirmed", "waitlisted", "pending"]})
    waitlist_position = ma.fields.Integer(allow_none=True)
    token = ma.fields.String(metadata={"description": "The secret of the participant's link"})
    url = ma.fields.Url(metadata={"description": "The participant's own page"})
    awaiting_confirmation = ma.fields.Boolean(
        metadata={
            "description": "The event asks registrants to confirm their address: the seat is "
            "held, the page read-only until the link mailed to the address is followed"
        }
    )


class AlreadyRegisteredSchema(ma.Schema):
    status = ma.fields.String(metadata={"enum": ["already_registered"]})
    detail = ma.fields.String()


@blp.route("/events/<slug>/registrations", methods=["POST"])
@limiter.limit(_registration_limit)
@blp.arguments(RegistrationInSchema)
@blp.response(201, RegistrationOutSchema)
@blp.alt_response(202, schema=AlreadyRegisteredSchema, description="Address known: link mailed")
@blp.alt_response(404, schema=ProblemSchema, content_type=PROBLEM_JSON)
@blp.alt_response(409, schema=ProblemSchema, content_type=PROBLEM_JSON)
@blp.alt_response(415, schema=ProblemSchema, content_type=PROBLEM_JSON)
@blp.alt_response(422, schema=ProblemSchema, content_type=PROBLEM_JSON)
@blp.alt_response(429, schema=ProblemSchema, content_type=PROBLEM_JSON)
def register_json(data: dict, slug: str):
    """Register a person, as the registration form does: confirmed when the event and the
    workshops have seats, else on the waiting list; the same mails are sent. An address
    already registered gets a fresh link by mail, the previous one voided, at most once
    an hour (202, no token in the answer, the same answer every time)."""
    event = published_event(slug)
    if event is None:
        abort(404, message=f"No published event has the slug {slug!r}.")
    window = registration_window(event)
    if window != Window.OPEN:
        reason = "not open yet" if window == Window.NOT_YET else "closed"
        abort(409, message=f"Registration to this event is {reason}.")
    preferences = None
    if event.allocation_mode == PREFERENCES_MODE:
        if data["workshops"]:
            abort(422, message="This event asks for ranked preferences, not workshops.")
        ranks = {f"rank_{n}": key for n, key in enumerate(data["preferences"] or [], 1)}
        preferences, errors = check_preferences(event, ranks)
        if errors:
            messages = [f"{name}: {message}" for name, message in errors.items()]
            abort(422, message="The ranking cannot be accepted.", errors={"preferences": messages})
        picks, problems = {}, []
    elif data["preferences"] is not None:
        abort(422, message="This event seats people first come, first served: no preferences.")
    else:
        picks, problems = workshop_picks(event, data["workshops"])
    if problems:
        abort(422, message="Some workshops cannot be chosen.", errors={"workshops": problems})
    items, errors = check_choices(event, picks) if preferences is None else ([], {})
    if errors:
        messages = [f"{name}: {message}" for name, message in errors.items()]
        abort(422, message="Some workshops cannot be chosen.", errors={"workshops": messages})
    outcome = register(
        event,
        Applicant(
            first_name=data["first_name"],
            last_name=data["last_name"],
            email=data["email"],
            organisation=data["organisation"],
            job_title=data["job_title"],
            language=str(get_locale() or "fr"),
        ),
        items,
        preferences=preferences,
    )
    mail.deliver_new()
    if not outcome.created:
        answer = jsonify(
            status="already_registered",
            detail="This address is registered already: a fresh link is mailed to it "
            "(at most once an hour), and the previous one no longer works.",
        )
        answer.status_code = 202
        return answer
    registration = outcome.registration
    return {
        "status": registration.status.value,
        "waitlist_position": waitlist_position(registration),
        "token": registration.token,
        "url": f"{current_app.config['BASE_URL']}/r/{registration.token}/",
        "awaiting_confirmation": registration.awaits_confirmation,
    }
