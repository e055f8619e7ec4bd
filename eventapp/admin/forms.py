"""The organiser area's forms; every field's message is shown beside it."""

from __future__ import annotations

from zoneinfo import available_timezones

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    EmailField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
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

from eventapp.admin.accounts import MIN_PASSWORD_LENGTH
from eventapp.models import ItemKind

LOCAL_FORMAT = "%Y-%m-%dT%H:%M"
REQUIRED = _l("Ce champ est obligatoire.")
SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"


class LoginForm(FlaskForm):
    email = EmailField(_l("Adresse e-mail"), validators=[DataRequired(REQUIRED), Length(max=254)])
    password = PasswordField(_l("Mot de passe"), validators=[DataRequired(REQUIRED)])
    next = HiddenField()


class AccountForm(FlaskForm):
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


class ManagerForm(FlaskForm):
    email = EmailField(
        _l("Adresse e-mail de l'organisateur"),
        validators=[DataRequired(REQUIRED), Email(_l("Adresse e-mail invalide."))],
    )


class ActionForm(FlaskForm):
    """A button that changes something: only its CSRF token."""


class EventForm(FlaskForm):
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
    venue_name = StringField(_l("Lieu"), validators=[Optional(), Length(max=200)])
    venue_address = StringField(_l("Adresse du lieu"), validators=[Optional(), Length(max=300)])
    contact_email = EmailField(
        _l("E-mail de contact"),
        validators=[Optional(), Email(_l("Adresse e-mail invalide.")), Length(max=254)],
    )
    capacity = IntegerField(
        _l("Places (tout l'événement)"),
        validators=[Optional(), NumberRange(min=1, message=_l("Au moins 1."))],
    )
    introduction_md = TextAreaField(_l("Présentation (Markdown)"), validators=[Optional()])
    closing_md = TextAreaField(_l("Conclusion (Markdown)"), validators=[Optional()])
    confirm_time_change = BooleanField(_l("Je confirme le changement d'horaire"))

    def validate_timezone(self, field) -> None:
        if field.data not in available_timezones():
            raise ValidationError(_l("Fuseau horaire inconnu (exemple : Europe/Brussels)."))

    def validate_ends_at(self, field) -> None:
        if self.starts_at.data and field.data and field.data <= self.starts_at.data:
            raise ValidationError(_l("La fin doit suivre le début."))


class DuplicateForm(FlaskForm):
    starts_on = DateField(_l("Nouvelle date"), validators=[DataRequired(_l("Date requise."))])
    slug = StringField(
        _l("Adresse (slug) de la copie"),
        validators=[
            DataRequired(REQUIRED),
            Length(max=80),
            Regexp(SLUG_PATTERN, message=_l("Lettres minuscules, chiffres et tirets seulement.")),
        ],
    )


class RoomForm(FlaskForm):
    name = StringField(_l("Nom de la salle"), validators=[DataRequired(REQUIRED), Length(max=120)])
    capacity = IntegerField(
        _l("Capacité"), validators=[Optional(), NumberRange(min=1, message=_l("Au moins 1."))]
    )
    position = IntegerField(
        _l("Ordre"), default=0, validators=[Optional(), NumberRange(min=0, max=999)]
    )


class ThemeForm(FlaskForm):
    number = IntegerField(
        _l("Numéro"),
        validators=[DataRequired(REQUIRED), NumberRange(min=1, max=999, message=_l("1 à 999."))],
    )
    title = StringField(_l("Titre"), validators=[DataRequired(REQUIRED), Length(max=300)])
    description_md = TextAreaField(_l("Description (Markdown)"), validators=[Optional()])


class SpeakerForm(FlaskForm):
    name = StringField(_l("Nom"), validators=[DataRequired(REQUIRED), Length(max=200)])
    role = StringField(_l("Fonction"), validators=[Optional(), Length(max=300)])
    organisation = StringField(_l("Organisation"), validators=[Optional(), Length(max=300)])


KIND_LABELS = {
    ItemKind.PLENARY: _l("Plénière"),
    ItemKind.WORKSHOP: _l("Atelier"),
    ItemKind.BREAK: _l("Pause"),
}


class ItemForm(FlaskForm):
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
    )
    capacity = IntegerField(
        _l("Places"), validators=[Optional(), NumberRange(min=1, message=_l("Au moins 1."))]
    )
    description_md = TextAreaField(_l("Description (Markdown)"), validators=[Optional()])
    summary_md = TextAreaField(_l("Compte-rendu (Markdown)"), validators=[Optional()])
    confirm_time_change = BooleanField(_l("Je confirme le changement d'horaire"))

    def validate_ends_at(self, field) -> None:
        if self.starts_at.data and field.data and field.data <= self.starts_at.data:
            raise ValidationError(_l("La fin doit suivre le début."))


class MoveForm(FlaskForm):
    room_id = SelectField(_l("Salle"), coerce=int, default=0)
    starts_at = DateTimeLocalField(
        _l("Nouveau début"),
        format=LOCAL_FORMAT,
        validators=[DataRequired(_l("Date et heure requises."))],
    )
    confirm_time_change = BooleanField(_l("Je confirme le changement d'horaire"))


class SwitchForm(FlaskForm):
    value = HiddenField(validators=[DataRequired(), Regexp(r"^(on|off)$")])
