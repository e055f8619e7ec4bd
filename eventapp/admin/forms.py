"""The organiser area's forms; every field's message is shown beside it."""

from __future__ import annotations

import re
from datetime import date
from zoneinfo import available_timezones

from flask_babel import LazyString, format_decimal
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    EmailField,
    Field,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    Email,
    EqualTo,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from eventapp.admin.builder import SPEAKERS_BOX_MAX
from eventapp.admin.passwords import MIN_PASSWORD_LENGTH
from eventapp.i18n import LANGUAGE_NAMES
from eventapp.limits import FIRST_YEAR, LAST_YEAR, MAX_CAPACITY, in_year_window
from eventapp.models import Event, ItemKind
from eventapp.proceedings.authoring import MAX_TEXT_LENGTH
from eventapp.registration.confirmation import (
    DEFAULT_CONFIRM_HOURS,
    MAX_CONFIRM_HOURS,
    MIN_CONFIRM_HOURS,
)

LOCAL_FORMAT = "%Y-%m-%dT%H:%M"
REQUIRED = _l("Ce champ est obligatoire.")
SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"

#: Control characters (C0, DEL, C1): none at all in a one-line field…
SINGLE_LINE_FORBIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
#: … and only tab, carriage return and line feed in a multi-line one (PostgreSQL refuses
#: NUL in text; XML and iCalendar forbid the others).
MULTI_LINE_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

# The numbers are written when the message is shown, in its language: 50 000, 50.000, 50,000.
CAPACITY_TOO_LARGE = _l("%(max)s au plus.", max=LazyString(format_decimal, MAX_CAPACITY))
MARKDOWN_TOO_LONG = _l(
    "Texte trop long : %(count)s caractères au plus.",
    count=LazyString(format_decimal, MAX_TEXT_LENGTH),
)
YEAR_RANGE = _l("Une date entre %(first)s et %(last)s.", first=FIRST_YEAR, last=LAST_YEAR)


def _single_line(form, field) -> None:
    if isinstance(field.data, str) and SINGLE_LINE_FORBIDDEN.search(field.data):
        raise ValidationError(_l("Une seule ligne, sans caractère de contrôle."))


def _multi_line(form, field) -> None:
    if isinstance(field.data, str) and MULTI_LINE_FORBIDDEN.search(field.data):
        raise ValidationError(
            _l(
                "Caractère de contrôle refusé (seuls la tabulation et les retours à la ligne "
                "sont admis)."
            )
        )


def _year_window(form, field) -> None:
    if isinstance(field.data, date) and not in_year_window(field.data):
        raise ValidationError(YEAR_RANGE)


#: A ceiling for the fields whose kind says nothing of their length: a password (hashed,
#: any character allowed) and a hidden field (a key, a count, a fingerprint, a URL).
PASSWORD_MAX = 256
HIDDEN_MAX = 2000


def _checks_for(field: Field) -> list:
    """What every field of a kind must pass, whichever form it is in."""
    if isinstance(field, PasswordField):  # hashed: any character, but not a megabyte
        return [Length(max=PASSWORD_MAX)]
    if isinstance(field, HiddenField):  # its meaning is checked by its own view
        return [Length(max=HIDDEN_MAX)]
    if isinstance(field, TextAreaField):
        return [_multi_line]
    if isinstance(field, StringField):
        return [_single_line]
    if isinstance(field, (DateTimeLocalField, DateField)):
        return [_year_window]
    return []


class AdminMeta:
    def bind_field(self, form, unbound_field, options):
        field = super().bind_field(form, unbound_field, options)
        checks = _checks_for(field)
        if checks:
            field.validators = [*field.validators, *checks]
        return field


class AdminForm(FlaskForm):
    """Every organiser form: one-line text fields hold no control character, multi-line
    ones only tab and line breaks, dates fall between FIRST_YEAR and LAST_YEAR."""

    class Meta(AdminMeta):
        pass


def capacity_field(label) -> IntegerField:
    return IntegerField(
        label,
        validators=[
            Optional(),
            NumberRange(min=1, message=_l("Au moins 1.")),
            NumberRange(max=MAX_CAPACITY, message=CAPACITY_TOO_LARGE),
        ],
    )


def markdown_field(label) -> TextAreaField:
    return TextAreaField(
        label, validators=[Optional(), Length(max=MAX_TEXT_LENGTH, message=MARKDOWN_TOO_LONG)]
    )


class LoginForm(AdminForm):
    email = EmailField(_l("Adresse e-mail"), validators=[DataRequired(REQUIRED), Length(max=254)])
    password = PasswordField(_l("Mot de passe"), validators=[DataRequired(REQUIRED)])
    next = HiddenField()


class AccountForm(AdminForm):
    email = EmailField(
        _l("Adresse e-mail"),
        validators=[DataRequired(REQUIRED), Email(_l("Adresse e-mail invalide.")), Length(max=254)],
    )
    password = PasswordField(
        _l("Mot de passe"),
        validators=[
            DataRequired(REQUIRED),
            Length(
                min=MIN_PASSWORD_LENGTH,
                message=_l("Au moins %(count)s caractères.", count=MIN_PASSWORD_LENGTH),
            ),
        ],
    )
    confirm = PasswordField(
        _l("Répétez le mot de passe"),
        validators=[EqualTo("password", _l("Les deux mots de passe diffèrent."))],
    )
    is_admin = BooleanField(_l("Administrateur (gère tous les comptes et événements)"))


class CodeForm(AdminForm):
    """A code of the authenticator app (or, when signing in, a recovery code)."""

    code = StringField(
        _l("Code"),
        validators=[DataRequired(REQUIRED), Length(max=40)],
        description=_l("Les 6 chiffres affichés par votre application d'authentification."),
    )


class SignInCodeForm(CodeForm):
    code = StringField(
        _l("Code"),
        validators=[DataRequired(REQUIRED), Length(max=40)],
        description=_l(
            "Les 6 chiffres affichés par votre application d'authentification, ou l'un de "
            "vos codes de secours."
        ),
    )


class PasswordChangeForm(AdminForm):
    current = PasswordField(_l("Mot de passe actuel"), validators=[DataRequired(REQUIRED)])
    password = PasswordField(
        _l("Nouveau mot de passe"),
        validators=[
            DataRequired(REQUIRED),
            Length(
                min=MIN_PASSWORD_LENGTH,
                message=_l("Au moins %(count)s caractères.", count=MIN_PASSWORD_LENGTH),
            ),
        ],
        description=_l(
            "Au moins %(count)s caractères ; pas un mot de passe courant ni votre adresse.",
            count=MIN_PASSWORD_LENGTH,
        ),
    )
    confirm = PasswordField(
        _l("Répétez le nouveau mot de passe"),
        validators=[EqualTo("password", _l("Les deux mots de passe diffèrent."))],
    )


class ManagerForm(AdminForm):
    email = EmailField(
        _l("Adresse e-mail de l'organisateur"),
        validators=[DataRequired(REQUIRED), Email(_l("Adresse e-mail invalide."))],
    )


class ActionForm(AdminForm):
    """A button that changes something: only its CSRF token."""


class EventForm(AdminForm):
    # The event's texts but the compte-rendu's cover line and chapter (its own page's form).
    TRANSLATED = tuple(name for name in Event.TRANSLATED if not name.startswith("proceedings_"))
    title = StringField(_l("Titre"), validators=[DataRequired(REQUIRED), Length(max=200)])
    slug = StringField(
        _l("Adresse (slug)"),
        description=_l("Lettres minuscules, chiffres et tirets ; vide : tiré du titre."),
        validators=[
            Optional(),
            Length(max=80),
            Regexp(SLUG_PATTERN, message=_l("Lettres minuscules, chiffres et tirets seulement.")),
        ],
    )
    subtitle = StringField(_l("Sous-titre"), validators=[Optional(), Length(max=300)])
    organising_body = StringField(_l("Organisé par"), validators=[Optional(), Length(max=200)])
    project = StringField(_l("Projet"), validators=[Optional(), Length(max=200)])
    starts_at = DateTimeLocalField(
        _l("Début"), format=LOCAL_FORMAT, validators=[DataRequired(_l("Date et heure requises."))]
    )
    ends_at = DateTimeLocalField(
        _l("Fin"), format=LOCAL_FORMAT, validators=[DataRequired(_l("Date et heure requises."))]
    )
    timezone = StringField(
        _l("Fuseau horaire"), default="Europe/Brussels", validators=[DataRequired(REQUIRED)]
    )
    registration_opens_at = DateTimeLocalField(
        _l("Ouverture des inscriptions"),
        format=LOCAL_FORMAT,
        description=_l("Vide : dès la publication."),
        validators=[Optional()],
    )
    registration_closes_at = DateTimeLocalField(
        _l("Clôture des inscriptions"),
        format=LOCAL_FORMAT,
        description=_l("Vide : au début de l'événement."),
        validators=[Optional()],
    )
    venue_name = StringField(_l("Lieu"), validators=[Optional(), Length(max=200)])
    venue_address = StringField(_l("Adresse du lieu"), validators=[Optional(), Length(max=300)])
    contact_email = EmailField(
        _l("E-mail de contact"),
        validators=[Optional(), Email(_l("Adresse e-mail invalide.")), Length(max=254)],
    )
    capacity = capacity_field(_l("Places (tout l'événement)"))
    confirm_address = BooleanField(
        _l("Les inscrits confirment leur adresse e-mail"),
        description=_l(
            "Recommandé : personne ne peut alors inscrire l'adresse d'un autre et garder "
            "la main sur son inscription. La place est réservée, mais ne peut être gérée "
            "qu'une fois le lien reçu par e-mail suivi."
        ),
    )
    confirm_hours = IntegerField(
        _l("Délai de confirmation (heures)"),
        description=_l("Passé ce délai, une place non confirmée est libérée."),
        default=DEFAULT_CONFIRM_HOURS,
        validators=[
            Optional(),
            NumberRange(
                min=MIN_CONFIRM_HOURS,
                max=MAX_CONFIRM_HOURS,
                message=_l("Entre %(min)s et %(max)s heures."),
            ),
        ],
    )
    introduction_md = markdown_field(_l("Présentation (Markdown)"))
    closing_md = markdown_field(_l("Conclusion (Markdown)"))
    first_language = SelectField(
        _l("Langue principale"),
        description=_l(
            "Celle des textes ci-dessus ; un texte non traduit s'affiche dans celle-ci."
        ),
        choices=[SelectChoice(code, name) for code, name in LANGUAGE_NAMES.items()],
        default="fr",
    )
    other_languages = SelectMultipleField(
        _l("Autres langues de l'événement"),
        choices=[SelectChoice(code, name) for code, name in LANGUAGE_NAMES.items()],
        option_widget=CheckboxInput(),
        widget=ListWidget(prefix_label=False),
        validate_choice=True,
    )
    confirm_time_change = BooleanField(_l("Je confirme le changement d'horaire"))

    def validate_timezone(self, field) -> None:
        if field.data not in available_timezones():
            raise ValidationError(_l("Fuseau horaire inconnu (exemple : Europe/Brussels)."))

    def validate_ends_at(self, field) -> None:
        if self.starts_at.data and field.data and field.data <= self.starts_at.data:
            raise ValidationError(_l("La fin doit suivre le début."))

    def validate_registration_opens_at(self, field) -> None:
        if self.starts_at.data and field.data and field.data >= self.starts_at.data:
            raise ValidationError(_l("Les inscriptions doivent ouvrir avant le début."))

    def validate_registration_closes_at(self, field) -> None:
        opens = self.registration_opens_at.data
        if opens and field.data and field.data <= opens:
            raise ValidationError(_l("La clôture doit suivre l'ouverture."))
        if self.starts_at.data and field.data and field.data > self.starts_at.data:
            raise ValidationError(_l("Les inscriptions se ferment au plus tard au début."))


class DuplicateForm(AdminForm):
    starts_on = DateField(_l("Nouvelle date"), validators=[DataRequired(_l("Date requise."))])
    slug = StringField(
        _l("Adresse (slug) de la copie"),
        validators=[
            DataRequired(REQUIRED),
            Length(max=80),
            Regexp(SLUG_PATTERN, message=_l("Lettres minuscules, chiffres et tirets seulement.")),
        ],
    )


class RoomForm(AdminForm):
    TRANSLATED = ("name",)
    name = StringField(_l("Nom de la salle"), validators=[DataRequired(REQUIRED), Length(max=120)])
    capacity = capacity_field(_l("Capacité"))
    position = IntegerField(
        _l("Ordre"), default=0, validators=[Optional(), NumberRange(min=0, max=999)]
    )


class ThemeForm(AdminForm):
    TRANSLATED = ("title", "description_md")
    number = IntegerField(
        _l("Numéro"),
        validators=[DataRequired(REQUIRED), NumberRange(min=1, max=999, message=_l("1 à 999."))],
    )
    title = StringField(_l("Titre"), validators=[DataRequired(REQUIRED), Length(max=300)])
    description_md = markdown_field(_l("Description (Markdown)"))


class SpeakerForm(AdminForm):
    TRANSLATED = ("role", "organisation")
    name = StringField(_l("Nom"), validators=[DataRequired(REQUIRED), Length(max=200)])
    role = StringField(_l("Fonction"), validators=[Optional(), Length(max=300)])
    organisation = StringField(_l("Organisation"), validators=[Optional(), Length(max=300)])


KIND_LABELS = {
    ItemKind.PLENARY: _l("Plénière"),
    ItemKind.WORKSHOP: _l("Atelier"),
    ItemKind.BREAK: _l("Pause"),
}


class ItemForm(AdminForm):
    TRANSLATED = ("title", "description_md", "summary_md")
    kind = SelectField(
        _l("Type"), choices=[SelectChoice(kind.value, label) for kind, label in KIND_LABELS.items()]
    )
    title = StringField(_l("Titre"), validators=[DataRequired(REQUIRED), Length(max=300)])
    starts_at = DateTimeLocalField(
        _l("Début"), format=LOCAL_FORMAT, validators=[DataRequired(_l("Date et heure requises."))]
    )
    ends_at = DateTimeLocalField(
        _l("Fin"), format=LOCAL_FORMAT, validators=[DataRequired(_l("Date et heure requises."))]
    )
    room_id = SelectField(_l("Salle"), coerce=int, default=0)
    theme_id = SelectField(_l("Thème"), coerce=int, default=0)
    speakers = TextAreaField(
        _l("Intervenants, dans l'ordre"),
        description=_l(
            "Un par ligne. Un nom inconnu crée un nouvel intervenant ; « Nom #numéro » "
            "désigne un intervenant précis."
        ),
        validators=[
            Length(
                max=SPEAKERS_BOX_MAX,
                message=_l(
                    "Texte trop long : %(count)s caractères au plus.",
                    count=LazyString(format_decimal, SPEAKERS_BOX_MAX),
                ),
            )
        ],
    )
    capacity = capacity_field(_l("Places"))
    description_md = markdown_field(_l("Description (Markdown)"))
    summary_md = markdown_field(_l("Compte-rendu (Markdown)"))
    confirm_time_change = BooleanField(_l("Je confirme le changement d'horaire"))

    def validate_ends_at(self, field) -> None:
        if self.starts_at.data and field.data and field.data <= self.starts_at.data:
            raise ValidationError(_l("La fin doit suivre le début."))


class MoveForm(AdminForm):
    room_id = SelectField(_l("Salle"), coerce=int, default=0)
    starts_at = DateTimeLocalField(
        _l("Nouveau début"),
        format=LOCAL_FORMAT,
        validators=[DataRequired(_l("Date et heure requises."))],
    )
    confirm_time_change = BooleanField(_l("Je confirme le changement d'horaire"))


class SwitchForm(AdminForm):
    value = HiddenField(validators=[DataRequired(), Regexp(r"^(on|off)$")])
