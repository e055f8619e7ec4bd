"""Registration and participant self-service: thin views over eventapp.registration.

GET, POST  /events/<slug>/register          the form; 303 to /r/<token>/
GET        /events/<slug>/register/sent     "check your mailbox" (address known already)
GET        /r/<token>/                      status, waiting-list position, choices, links
GET, POST  /r/<token>/change                change workshops
GET, POST  /r/<token>/cancel                cancel, after a confirmation step
GET, POST  /r/<token>/erase                 erase my data, after a confirmation step
GET        /r/<token>/export.json           my data
GET, POST  /r/<token>/confirm/<key>         confirm my address (an event that asks for it)

While the address awaits confirmation the page is read-only: changing, cancelling,
reactivating, erasing and the mail language wait for the confirmation link.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from flask import (
    Response,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale, lazy_pgettext, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf import FlaskForm
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape
from wtforms import BooleanField, EmailField, HiddenField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from eventapp import mail
from eventapp.allocation.preferences import check_preferences, offered_themes, rank_fields
from eventapp.allocation.seating import PREFERENCES_MODE
from eventapp.export_cache import page_cache
from eventapp.extensions import csrf, db
from eventapp.i18n import LANGUAGE_NAMES, in_language, language_name
from eventapp.models import (
    Event,
    ProgrammeItem,
    Registration,
    RegistrationStatus,
)
from eventapp.programme import Versions, load_items, published_event, published_versions
from eventapp.public.blueprint import bp
from eventapp.public.kept_page import KeptPage
from eventapp.public.page_cache import has_flashes, page_key
from eventapp.registration import (
    Applicant,
    RegistrationRefused,
    Window,
    cancel,
    change_choices,
    check_choices,
    choice_fields,
    erase,
    export_data,
    find_by_token,
    reactivate,
    register,
    registration_window,
    seats_left,
    waiting_for,
    waitlist_position,
)
from eventapp.registration.confirmation import (
    confirm_address,
    confirmation_valid,
    release_deadline,
)
from eventapp.registration.language import change_language, mail_languages
from eventapp.registration.queries import chosen_items
from eventapp.registration.rules import NO_MARKUP, capacities, valid_email

limiter = Limiter(key_func=get_remote_address)


@bp.record_once
def _init_limiter(state) -> None:
    app = state.app
    app.config.setdefault("RATELIMIT_STORAGE_URI", "memory://")
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    app.config.setdefault("REGISTRATION_RATE_LIMIT", "10 per minute;60 per hour")
    limiter.init_app(app)


def _registration_limit() -> str:
    return current_app.config["REGISTRATION_RATE_LIMIT"]


def _plain_text(form: FlaskForm, field) -> None:
    if field.data and NO_MARKUP.search(field.data):
        raise ValidationError(_l("Les caractères < et > et les retours à la ligne sont refusés."))


def _valid_email(form: FlaskForm, field) -> None:
    """The address rule shared with the API and the CSV import."""
    if field.data and not valid_email(field.data):
        raise ValidationError(_l("Cette adresse e-mail n'est pas valide."))


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


def _name_field(label, missing) -> StringField:
    """A required name: trimmed, 100 characters at most, no markup."""
    return StringField(
        label,
        filters=[_strip],
        validators=[
            InputRequired(missing),
            Length(max=100, message=_l("100 caractères au plus.")),
            _plain_text,
        ],
    )


class ParticipantForm(FlaskForm):
    first_name = _name_field(_l("Prénom"), _l("Indiquez votre prénom."))
    # "Nom" alone reads "Name" in English: the context asks for the family name.
    last_name = _name_field(lazy_pgettext("nom de famille", "Nom"), _l("Indiquez votre nom."))
    email = EmailField(
        _l("Adresse e-mail"),
        filters=[_strip],
        validators=[
            InputRequired(_l("Indiquez votre adresse e-mail.")),
            Length(max=254, message=_l("254 caractères au plus.")),
            _valid_email,
        ],
    )
    organisation = StringField(
        _l("Organisation"),
        filters=[_strip],
        validators=[Length(max=200, message=_l("200 caractères au plus.")), _plain_text],
    )
    job_title = StringField(
        _l("Fonction"),
        filters=[_strip],
        validators=[Length(max=200, message=_l("200 caractères au plus.")), _plain_text],
    )
    consent = BooleanField(
        _l(
            "J'accepte que mes données (nom, adresse e-mail, organisation, fonction, choix "
            "d'ateliers) servent uniquement aux organisateurs pour gérer ma participation à "
            "cet événement."
        ),
        validators=[DataRequired(_l("Votre accord est nécessaire pour vous inscrire."))],
    )
    submission = HiddenField("")  # labelled: see LanguageForm

    def validate_first_name(self, field) -> None:
        if field.data is not None and not field.data:
            raise ValidationError(_("Indiquez votre prénom."))

    def validate_last_name(self, field) -> None:
        if field.data is not None and not field.data:
            raise ValidationError(_("Indiquez votre nom."))


class ConfirmForm(FlaskForm):
    """A form with nothing but its CSRF token: the confirmation steps."""


class MailLanguageForm(FlaskForm):
    """The language of a person's mails and personal calendar."""

    language = SelectField(_l("Langue de mes e-mails et de mon agenda"))

    def __init__(self, registration: Registration, **kwargs) -> None:
        super().__init__(**kwargs)
        self.language.choices = [
            (code, LANGUAGE_NAMES[code]) for code in mail_languages(registration)
        ]


def _open_event_or_404(slug: str) -> Event:
    event = published_event(slug, speakers=False)
    if event is None:
        abort(404)
    return event


def _language() -> str:
    return str(get_locale() or "fr")


def _picks() -> dict[str, str | None]:
    return {name: request.form.get(name) for name in request.form if name.startswith("workshop")}


def _ranks() -> dict[str, str | None]:
    return {name: request.form.get(name) for name in request.form if name.startswith("rank_")}


def _ranked(event: Event) -> bool:
    """The event asks people to rank themes (preferences mode) instead of picking workshops."""
    return event.allocation_mode == PREFERENCES_MODE


def _catalogue(text: str) -> Markup:
    """A text of the translation catalogue, written as is (as the templates' gettext does)."""
    return Markup(text)  # noqa: S704 — the catalogue, not input


class _ChoiceTexts:
    """What the form writes of each workshop besides its title: the theme and room line, and
    what depends on the seats left (the "full" mark, ``data-seats-left``, the seats line, the
    event's "full" notice). Each line is written once per theme and room, or per number of
    seats, for one page: a congress repeats them hundreds of times, and a translated line
    costs more than the rest of a choice's markup.

    ``seats`` None: the page is kept for every number of seats (the kept form), and each of
    those values is a stand-in (``_SEAT_MARK``) that :class:`_SeatHoles` fills in."""

    def __init__(self, seats=None) -> None:
        self.seats = seats
        self._meta: dict[tuple, Markup] = {}
        self._lines: dict[tuple, Markup] = {}

    def meta(self, item: ProgrammeItem) -> Markup:
        theme, room = item.theme, item.room
        key = (item.theme_id, item.room_id, theme is not None and theme.title == item.title)
        if key not in self._meta:
            lang = _language()
            pieces = []
            if theme is not None and theme.title != item.title:
                title = in_language(theme.text("title", lang))
                pieces.append(
                    Markup(_("Thème %(number)s : %(title)s"))  # noqa: S704 — the catalogue
                    % {"number": theme.number, "title": title}
                )
            elif theme is not None:
                pieces.append(_catalogue(_("Thème %(number)s", number=theme.number)))
            if room is not None:
                pieces.append(escape(in_language(room.text("name", lang))))
            self._meta[key] = Markup(" · ").join(pieces)
        return self._meta[key]

    def _mark(self, kind: str, item_id: int | str) -> Markup:
        return Markup(f"{_SEAT_MARK}{kind}-{item_id}{_SEAT_MARK}")  # noqa: S704 — ASCII

    def event_notice(self) -> Markup:
        """The notice of a full event (the waiting list stays open), or nothing."""
        if self.seats is None:
            return self._mark("e", "event")
        if self.seats.event != 0:
            return Markup("")
        return Markup('<p class="notice" role="status">%s</p>') % _catalogue(
            _(
                "L'événement est complet : vous pouvez vous inscrire sur la liste d'attente. "
                "Nous vous écrirons dès qu'une place se libère."
            )
        )

    def full_class(self, item_id: int, own: bool = False, keeps_seat: bool = False) -> Markup:
        if self.seats is None:
            return self._mark("c", item_id)
        left = self.seats.items.get(item_id)
        return Markup(" is-full") if left == 0 and not (own and keeps_seat) else Markup("")

    def count(self, item_id: int) -> Markup:
        if self.seats is None:
            return self._mark("n", item_id)
        left = self.seats.items.get(item_id)
        return Markup("unlimited" if left is None else str(left))  # noqa: S704 — a number

    def line(self, item_id: int, own: bool = False, keeps_seat: bool = False) -> Markup:
        if self.seats is None:
            return self._mark("t", item_id)
        left = self.seats.items.get(item_id)
        key = (left, own, keeps_seat)
        if key not in self._lines:
            full = Markup("<strong>%s</strong> — %s")
            if own and keeps_seat:
                line = _catalogue(
                    _("Votre place y est réservée : vous la gardez si vous ne changez pas.")
                )
            elif left is None:
                line = _catalogue(_("Places disponibles"))
            elif left == 0 and keeps_seat:
                line = full % (
                    _catalogue(_("Complet")),
                    _catalogue(_("vous ne pouvez pas le choisir")),
                )
            elif left == 0:
                line = full % (
                    _catalogue(_("Complet")),
                    _catalogue(_("inscription sur liste d'attente")),
                )
            else:
                line = _catalogue(
                    ngettext("%(num)d place restante", "%(num)d places restantes", left)
                )
            self._lines[key] = line
        return self._lines[key]


#: Around the stand-ins of the seats' values in a kept form (ASCII, unchanged by escaping),
#: drawn anew by each process: no text an organiser writes can pass for one.
_SEAT_MARK = f"@@seats-left-{secrets.token_hex(8)}@@"
_SEAT_HOLE = re.compile(re.escape(_SEAT_MARK) + r"([ecnt])-(\w+)" + re.escape(_SEAT_MARK))


@dataclass(frozen=True)
class _SeatHoles:
    """A kept form cut at its seats' stand-ins: filled in for the seats of the moment in a
    few milliseconds, where writing the page again took tens (a 500-workshop congress,
    whose seats change with every registration)."""

    parts: tuple[str, ...]
    holes: tuple[tuple[str, str], ...]  # (kind, workshop id or "event") after each part

    @classmethod
    def cut(cls, html: str) -> _SeatHoles:
        pieces = _SEAT_HOLE.split(html)
        return cls(tuple(pieces[0::3]), tuple(zip(pieces[1::3], pieces[2::3], strict=True)))

    def fill(self, seats) -> str:
        texts = _ChoiceTexts(seats)
        out = [self.parts[0]]
        for (kind, key), part in zip(self.holes, self.parts[1:], strict=True):
            if kind == "e":
                out.append(texts.event_notice())
            elif kind == "c":
                out.append(texts.full_class(int(key)))
            elif kind == "n":
                out.append(texts.count(int(key)))
            else:
                out.append(texts.line(int(key)))
            out.append(part)
        return "".join(out)


def _form_page(
    event: Event,
    form: FlaskForm,
    choice_errors: dict[str, str],
    selected: dict[str, str | None],
    status: int = 200,
    template: str = "public/register.html",
    **extra,
):
    return (
        render_template(
            template,
            event=event,
            form=form,
            rounds=choice_fields(event),
            choice_texts=_ChoiceTexts(seats_left(event)),
            choice_errors=choice_errors,
            selected=selected,
            ranked=_ranked(event),
            rank_fields=rank_fields(event) if _ranked(event) else [],
            themes=offered_themes(event) if _ranked(event) else [],
            **extra,
        ),
        status,
    )


#: The published event's columns that the form's key, its registration window and its seats
#: read (eventapp.programme.published_versions).
_FORM_COLUMNS = (
    Event.id,
    Event.created_at,
    Event.updated_at,
    Event.starts_at,
    Event.capacity,
    Event.registration_open,
    Event.registration_opens_at,
    Event.registration_closes_at,
)


# Stand-ins for the two values of the form that are each visitor's own (the CSRF token, which
# the language switch shares, and the submission key), replaced in the kept page.
_TOKEN_MARK = "csrf-token-of-this-visitor-0e5b1f"  # noqa: S105  (not a secret)
_SUBMISSION_MARK = "submission-key-of-this-visitor-7c2d9a"


def _fresh_form(versions: Versions):
    """The empty form, written once per version of the programme, language and address with
    stand-ins for the seats left (_SeatHoles), filled in and compressed once per number of
    seats left (eventapp.public.kept_page), kept (eventapp.export_cache.page_cache) with
    stand-ins for the visitor's CSRF token and submission key, put in on every request: a
    request reads the event's columns
    with its version and the seats taken (two queries, their statements built once), the
    event and its programme only when the programme changed. Seats left are counted on every
    request, so they are always fresh."""
    row = versions.event
    cache = page_cache()
    loaded: list[Event] = []

    def whole() -> Event:
        if not loaded:
            event = db.session.get(Event, row.id)
            loaded.append(load_items(event))
        return loaded[0]

    known = cache.get(("register capacities", versions.key), lambda: capacities(whole()))
    seats = seats_left(row, known)
    field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")

    def page(texts: _ChoiceTexts) -> str:
        event = whole()
        # Before the form is made: its CSRF field takes its token when it is built, and the
        # kept page must hold the stand-in, never this visitor's token.
        setattr(g, field, _TOKEN_MARK)  # what generate_csrf() answers in this request
        form = ParticipantForm()
        form.submission.data = _SUBMISSION_MARK
        try:
            ranked = _ranked(event)
            return render_template(
                "public/register.html",
                event=event,
                form=form,
                rounds=choice_fields(event),
                choice_texts=texts,
                choice_errors={},
                selected={},
                ranked=ranked,
                rank_fields=rank_fields(event) if ranked else [],
                themes=offered_themes(event) if ranked else [],
            )
        finally:
            g.pop(field, None)

    token, submission = generate_csrf(), secrets.token_urlsafe(16)
    if has_flashes():  # a message for this visitor only: a page kept nowhere
        html = page(_ChoiceTexts(seats))
        return html.replace(_TOKEN_MARK, token).replace(_SUBMISSION_MARK, submission)
    key = page_key("register", versions.key)
    # Written once per version, language and address with the seats as stand-ins; filled in
    # and compressed once per number of seats left (each registration changes them).
    holes = cache.get(("seats holes", *key), lambda: _SeatHoles.cut(page(_ChoiceTexts())))
    kept = cache.get(
        (*key, seats.event, tuple(seats.items.items())),
        lambda: KeptPage.cut(
            holes.fill(seats), {"token": _TOKEN_MARK, "submission": _SUBMISSION_MARK}
        ),
    )
    return kept.response({"token": token.encode(), "submission": submission.encode()})


def _csrf_message(form: FlaskForm) -> str | None:
    if form.errors.get("csrf_token"):
        return _("Le formulaire a expiré ou n'est pas valide. Vérifiez et envoyez-le à nouveau.")
    return None


@bp.route("/events/<slug>/register", methods=["GET", "POST"])
@limiter.limit(_registration_limit, methods=["POST"])
@csrf.exempt  # the form checks its token itself, to answer beside the form
def register_page(slug: str):
    if request.method == "GET":
        versions = published_versions(slug, columns=_FORM_COLUMNS)
        if versions is not None and registration_window(versions.event) == Window.OPEN:
            return _fresh_form(versions)
    event = _open_event_or_404(slug)
    window = registration_window(event)
    if window != Window.OPEN:
        return render_template("public/register_closed.html", event=event, window=window), (
            200 if request.method == "GET" else 400
        )
    form = ParticipantForm()
    if request.method == "GET":
        form.submission.data = secrets.token_urlsafe(16)
        return _form_page(event, form, {}, {})
    form_ok = form.validate()
    preferences = None
    if _ranked(event):
        picks = _ranks()
        items = []
        preferences, choice_errors = check_preferences(event, picks)
    else:
        picks = _picks()
        items, choice_errors = check_choices(event, picks)
    if not form_ok or choice_errors:
        return _form_page(
            event, form, choice_errors, picks, status=400, form_error=_csrf_message(form)
        )
    submission = (form.submission.data or "").strip()
    if not re.fullmatch(r"[A-Za-z0-9_-]{16,64}", submission):
        submission = ""
    outcome = register(
        event,
        Applicant(
            first_name=form.first_name.data,
            last_name=form.last_name.data,
            email=form.email.data,
            organisation=form.organisation.data or "",
            job_title=form.job_title.data or "",
            language=_language(),
        ),
        items,
        submission_key=submission or None,
        preferences=preferences,
    )
    mail.deliver_new()
    if outcome.created or outcome.resubmitted:
        return redirect(url_for("public.participant_page", token=outcome.token), code=303)
    return redirect(url_for("public.register_sent", slug=event.slug), code=303)


@bp.get("/events/<slug>/register/sent")
def register_sent(slug: str):
    event = _open_event_or_404(slug)
    return render_template("public/register_sent.html", event=event)


def _participant_url(registration: Registration, view: str = "public.participant_page") -> str:
    return url_for(view, token=registration.token)


def _registration_or_404(token: str) -> Registration:
    registration = find_by_token(token)
    if registration is None:
        abort(404)
    return registration


def _awaiting_confirmation(registration: Registration):
    """A redirect to the read-only page when the address is not confirmed yet, else None."""
    if not registration.awaits_confirmation:
        return None
    flash(
        _(
            "Votre adresse e-mail doit d'abord être confirmée : suivez le lien envoyé à %(email)s.",
            email=registration.email,
        ),
        "error",
    )
    return redirect(_participant_url(registration), code=303)


@bp.after_request
def _private_pages(response: Response) -> Response:
    """A participant's pages carry their secret link: not cached (nor sent as Referer:
    eventapp.security)."""
    if request.path.startswith("/r/"):
        response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/r/<token>/")
def participant_page(token: str):
    registration = _registration_or_404(token)
    event = registration.event
    pending = registration.awaits_confirmation
    return render_template(
        "public/participant.html",
        event=event,
        registration=registration,
        position=waitlist_position(registration),
        waiting=waiting_for(registration),
        items=chosen_items(registration),
        pending=pending,
        release_at=release_deadline(registration) if pending else None,
        ranking=_ranking(registration),
        can_change=not pending
        and registration.status not in (RegistrationStatus.CANCELLED, RegistrationStatus.PENDING)
        and bool(choice_fields(event))
        and registration_window(event) == Window.OPEN,
        can_reactivate=not pending
        and registration.status == RegistrationStatus.CANCELLED
        and registration_window(event) == Window.OPEN,
        form=ConfirmForm(),
        language_choice=MailLanguageForm(registration, language=registration.language),
    )


def _ranking(registration: Registration) -> list[ProgrammeItem]:
    """The themes the person ranked, best first, each as a workshop that carries it."""
    if registration.preferences is None:
        return []
    themes = dict(offered_themes(registration.event))
    return [themes[key] for key in registration.preferences if key in themes]


@bp.post("/r/<token>/language")
def participant_language(token: str):
    registration = _registration_or_404(token)
    if (refused := _awaiting_confirmation(registration)) is not None:
        return refused
    form = MailLanguageForm(registration)
    if form.validate() and change_language(registration, form.language.data):
        flash(
            _(
                "Vos e-mails et votre agenda sont désormais en %(language)s.",
                language=language_name(registration.language),
            ),
            "success",
        )
    else:
        flash(_csrf_message(form) or _("Choisissez une des langues proposées."), "error")
    return redirect(_participant_url(registration), code=303)


@bp.route("/r/<token>/change", methods=["GET", "POST"])
@csrf.exempt  # the form checks its token itself, to answer beside the form
def participant_change(token: str):
    registration = _registration_or_404(token)
    if (refused := _awaiting_confirmation(registration)) is not None:
        return refused
    event = registration.event
    if registration.status == RegistrationStatus.CANCELLED:
        flash(_("Cette inscription est annulée : elle ne peut plus changer."), "error")
        return redirect(_participant_url(registration), code=303)
    if registration.status == RegistrationStatus.PENDING:
        flash(
            _("Vos ateliers seront attribués selon vos souhaits : rien à changer d'ici là."),
            "error",
        )
        return redirect(_participant_url(registration), code=303)
    if registration_window(event) != Window.OPEN:
        flash(_("Les inscriptions sont closes : les ateliers ne peuvent plus changer."), "error")
        return redirect(_participant_url(registration), code=303)
    form = ConfirmForm()
    current = {
        name: str(choice.item_id)
        for name, block in choice_fields(event)
        for choice in registration.choices
        if choice.item_id in {item.id for item in block.workshops}
    }
    page = {"template": "public/participant_change.html", "registration": registration}
    if request.method == "GET":
        return _form_page(event, form, {}, current, **page)
    picks = _picks()
    items, errors = check_choices(event, picks)
    if not form.validate() or errors:
        return _form_page(
            event, form, errors, picks, status=400, form_error=_csrf_message(form), **page
        )
    try:
        change_choices(registration, items)
    except RegistrationRefused as refused:
        return _form_page(event, form, refused.errors, picks, status=400, **page)
    mail.deliver_new()
    flash(_("Vos choix d'ateliers sont enregistrés."), "success")
    return redirect(_participant_url(registration), code=303)


@bp.route("/r/<token>/cancel", methods=["GET", "POST"])
@csrf.exempt  # the form checks its token itself, to answer beside the form
def participant_cancel(token: str):
    registration = _registration_or_404(token)
    if (refused := _awaiting_confirmation(registration)) is not None:
        return refused
    form = ConfirmForm()
    if request.method == "POST" and form.validate():
        cancel(registration)
        mail.deliver_new()
        flash(_("Votre inscription est annulée."), "success")
        return redirect(_participant_url(registration), code=303)
    return render_template(
        "public/participant_confirm.html",
        event=registration.event,
        registration=registration,
        form=form,
        action="cancel",
        form_error=_csrf_message(form),
    ), (400 if request.method == "POST" else 200)


@bp.post("/r/<token>/reactivate")
@csrf.exempt  # the form checks its token itself, to answer beside the form
def participant_reactivate(token: str):
    registration = _registration_or_404(token)
    if (refused := _awaiting_confirmation(registration)) is not None:
        return refused
    form = ConfirmForm()
    if not form.validate():
        flash(_csrf_message(form) or _("Demande invalide."), "error")
    elif registration_window(registration.event) != Window.OPEN:
        flash(_("Les inscriptions sont closes."), "error")
    else:
        try:
            reactivate(registration)
        except RegistrationRefused as refused:
            flash(str(refused.errors["form"]), "error")
        else:
            mail.deliver_new()
    return redirect(_participant_url(registration), code=303)


@bp.route("/r/<token>/erase", methods=["GET", "POST"])
@csrf.exempt  # the form checks its token itself, to answer beside the form
def participant_erase(token: str):
    registration = _registration_or_404(token)
    if (refused := _awaiting_confirmation(registration)) is not None:
        return refused
    event = registration.event
    form = ConfirmForm()
    if request.method == "POST" and form.validate():
        erase(registration)
        flash(_("Vos données ont été effacées. Ce lien ne mène plus nulle part."), "success")
        return redirect(url_for("public.event_page", slug=event.slug), code=303)
    return render_template(
        "public/participant_confirm.html",
        event=event,
        registration=registration,
        form=form,
        action="erase",
        form_error=_csrf_message(form),
    ), (400 if request.method == "POST" else 200)


@bp.get("/r/<token>/export.json")
def participant_export(token: str):
    registration = _registration_or_404(token)
    response = jsonify(export_data(registration))
    response.headers["Content-Disposition"] = 'attachment; filename="inscription.json"'
    return response


@bp.route("/r/<token>/confirm/<key>", methods=["GET", "POST"])
@csrf.exempt  # the form checks its token itself, to answer beside the form
def participant_confirm(token: str, key: str):
    """The link mailed to an address to confirm it: a button (a mail scanner that opens
    links confirms nothing), then the page under its new link."""
    registration = _registration_or_404(token)
    if not confirmation_valid(registration, key):
        if not registration.awaits_confirmation:
            return redirect(_participant_url(registration), code=303)
        abort(404)
    form = ConfirmForm()
    if request.method == "POST" and form.validate():
        if not confirm_address(registration, key):
            abort(404)
        mail.deliver_new()
        flash(
            _("Votre adresse est confirmée. Un e-mail vous donne le lien de cette page."),
            "success",
        )
        return redirect(_participant_url(registration), code=303)
    return render_template(
        "public/participant_confirm_address.html",
        event=registration.event,
        registration=registration,
        form=form,
        form_error=_csrf_message(form),
    ), (400 if request.method == "POST" else 200)
