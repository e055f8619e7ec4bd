"""Organiser area: writing the compte-rendu, previewing it, attendance certificates.

URL surface (on the admin blueprint; every page needs an account managing the event):
  GET  /admin/events/<id>/proceedings/edit           the parts, each with its Markdown
  POST /admin/events/<id>/proceedings/parts/<part>   save, or preview without saving
  POST /admin/events/<id>/proceedings/titles         the cover line and the chapter heading
  POST /admin/events/<id>/proceedings/render         live preview (JSON; the page's JS)
  GET  /admin/events/<id>/proceedings/preview.pdf    the whole PDF, even unpublished
  GET  /admin/events/<id>/certificates.pdf           every checked-in person, one per page
"""

from __future__ import annotations

from io import BytesIO

from flask import abort, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from eventapp.admin.blueprint import bp
from eventapp.admin.forms import MARKDOWN_TOO_LONG, AdminForm
from eventapp.admin.translations import fill_translations, save_translations, translated_form
from eventapp.admin.views import get_event
from eventapp.extensions import db
from eventapp.markdown import render_markdown
from eventapp.models import Event
from eventapp.proceedings import proceedings_file
from eventapp.proceedings.authoring import (
    MAX_TEXT_LENGTH,
    Part,
    StaleText,
    find_part,
    fingerprint,
    parts,
    save_text,
    writing_language,
)
from eventapp.proceedings.certificates import certificates_pdf, checked_in_registrations


class PartForm(AdminForm):
    text = TextAreaField(
        _l("Texte (Markdown)"),
        description=_l(
            "Listes avec « - » (indentées pour les sous-listes), *italique*, **gras**, "
            "liens [texte](https://…)."
        ),
        validators=[Optional(), Length(max=MAX_TEXT_LENGTH, message=MARKDOWN_TOO_LONG)],
    )
    opened_with = HiddenField()


class TitlesForm(AdminForm):
    """The compte-rendu's own words for its cover and its chapter (left empty: the
    defaults, shown greyed in the empty fields)."""

    TRANSLATED = ("proceedings_cover_line", "proceedings_chapter")

    proceedings_cover_line = StringField(
        _l("Ligne de la page de titre"),
        description=_l(
            "Sous le titre, avant la date ; par exemple « Compte-rendu de la journée réseau »."
        ),
        validators=[Optional(), Length(max=200)],
    )
    proceedings_chapter = StringField(
        _l("Titre du chapitre"),
        description=_l("Le chapitre qui réunit les sections ; par exemple « Journée réseau »."),
        validators=[Optional(), Length(max=200)],
    )


def _titles_form(event: Event, formdata=None) -> TitlesForm:
    form = translated_form(TitlesForm, event.language_list)(formdata=formdata, prefix="titles")
    if formdata is None:
        form.proceedings_cover_line.data = event.proceedings_cover_line
        form.proceedings_chapter.data = event.proceedings_chapter
        fill_translations(form, event)
    return form


def _form(part: Part, formdata=None) -> PartForm:
    form = PartForm(formdata=formdata, prefix=part.key)
    if formdata is None:
        form.text.data = part.text
        form.opened_with.data = fingerprint(part.text)
    return form


def _writing(event: Event) -> str:
    """The language the organiser writes the parts in (``?write=nl``), else the first."""
    return writing_language(event, request.args.get("write"))


def _page(
    event: Event,
    active: dict | None = None,
    status: int = 200,
    titles: TitlesForm | None = None,
):
    """The authoring page; ``active`` is the part being previewed or corrected, ``titles``
    the titles' form when it is being corrected."""
    rows = []
    for part in parts(event, _writing(event)):
        if active and active["part"].key == part.key:
            rows.append(active)
        else:
            rows.append({"part": part, "form": _form(part)})
    return (
        render_template(
            "admin/proceedings.html",
            event=event,
            rows=rows,
            titles=titles or _titles_form(event),
            checked_in=len(checked_in_registrations(event)),
            writing=_writing(event),
        ),
        status,
    )


@bp.get("/events/<int:event_id>/proceedings/edit")
def proceedings(event_id: int):
    return _page(get_event(event_id))


@bp.post("/events/<int:event_id>/proceedings/parts/<key>")
def proceedings_part(event_id: int, key: str):
    event = get_event(event_id)
    part = find_part(event, key, _writing(event)) or abort(404)
    form = _form(part, formdata=request.form)
    if not form.validate():
        if form.csrf_token.errors:
            abort(400)
        return _page(event, {"part": part, "form": form}, 400)
    text = form.text.data or ""
    if "preview" in request.form:
        preview = render_markdown(text)
        return _page(event, {"part": part, "form": form, "preview": preview})
    try:
        changed = save_text(event, part, text, form.opened_with.data or "")
    except StaleText as stale:
        form.text.errors.append(
            _(
                "Quelqu'un a modifié ce texte depuis que vous l'avez ouvert. Relisez la "
                "version enregistrée ci-dessous ; enregistrer à nouveau remplacera celle-ci "
                "par votre texte."
            )
        )
        form.opened_with.data = fingerprint(stale.current)
        return _page(event, {"part": part, "form": form, "stored": stale.current}, 409)
    if changed:
        flash(_("Enregistré : %(title)s.", title=part.title), "ok")
    else:
        flash(_("Aucun changement : %(title)s.", title=part.title), "info")
    back = url_for("admin.proceedings", event_id=event.id, write=request.args.get("write"))
    return redirect(back + f"#part-{part.key}", 303)


@bp.post("/events/<int:event_id>/proceedings/titles")
def proceedings_titles(event_id: int):
    event = get_event(event_id)
    form = _titles_form(event, formdata=request.form)
    if not form.validate():
        if form.csrf_token.errors:
            abort(400)
        return _page(event, titles=form, status=400)
    before = (event.proceedings_cover_line, event.proceedings_chapter, event.translations)
    event.proceedings_cover_line = (form.proceedings_cover_line.data or "").strip()
    event.proceedings_chapter = (form.proceedings_chapter.data or "").strip()
    save_translations(form, event)
    after = (event.proceedings_cover_line, event.proceedings_chapter, event.translations)
    if after == before:
        flash(_("Aucun changement : %(title)s.", title=_("Page de titre")), "info")
    else:
        db.session.commit()
        flash(_("Enregistré : %(title)s.", title=_("Page de titre")), "ok")
    return redirect(url_for("admin.proceedings", event_id=event.id) + "#titles", 303)


@bp.post("/events/<int:event_id>/proceedings/render")
def proceedings_render(event_id: int):
    """The sanitised HTML of the posted Markdown, for the live preview (nothing stored)."""
    get_event(event_id)
    text = request.form.get("text", "")
    if len(text) > MAX_TEXT_LENGTH:
        return jsonify(error=str(MARKDOWN_TOO_LONG)), 400
    return jsonify(html=str(render_markdown(text)))


@bp.get("/events/<int:event_id>/proceedings/preview.pdf")
def proceedings_preview_pdf(event_id: int):
    event = get_event(event_id)
    pdf = proceedings_file(event)
    response = send_file(
        pdf.path,
        mimetype="application/pdf",
        download_name=f"apercu-compte-rendu-{event.slug}.pdf",
        as_attachment=False,
        max_age=0,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/events/<int:event_id>/certificates.pdf")
def certificates(event_id: int):
    event = get_event(event_id)
    people = checked_in_registrations(event)
    if not people:
        # Reached only by typing the URL (the page links it once someone is checked in).
        flash(_("Personne n'est encore pointé présent : aucune attestation à produire."), "error")
        return _page(event)
    response = send_file(
        BytesIO(certificates_pdf(event, people)),
        mimetype="application/pdf",
        download_name=f"attestations-{event.slug}.pdf",
        as_attachment=True,
        max_age=0,
    )
    response.headers["Cache-Control"] = "no-store"
    return response
