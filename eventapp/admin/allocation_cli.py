"""`eventapp allocation mode SLUG preferences|first-come` and `eventapp allocation run SLUG
[--dry-run] [--full]`: ranked preferences from the command line (eventapp.allocation.seating;
a full re-run: eventapp.allocation.rerun)."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from flask_babel import gettext as _

from eventapp.allocation.figures import PeopleFigures, people_figures
from eventapp.allocation.problem import Problem
from eventapp.allocation.rerun import rerun
from eventapp.allocation.result import Allocation
from eventapp.allocation.seating import AllocationRefused, Run, pin, run, set_mode
from eventapp.models import Event
from eventapp.programme import event_by_slug

allocation_cli = AppGroup("allocation", help="Ranked preferences and the allocation of seats.")


def _event(slug: str) -> Event:
    event = event_by_slug(slug)
    if event is None:
        raise click.ClickException(
            _("aucun événement n'a l'adresse (slug) « %(slug)s »", slug=slug)
        )
    return event


@allocation_cli.command("mode")
@click.argument("slug")
@click.argument("mode")
def mode_command(slug: str, mode: str) -> None:
    """Seat people first come, first served (first-come) or after ranking (preferences)."""
    event = _event(slug)
    try:
        changed = set_mode(event, mode)
    except AllocationRefused as refused:
        raise click.ClickException(str(refused.message)) from None
    if changed:
        click.echo(_("« %(slug)s » est maintenant en mode %(mode)s.", slug=slug, mode=mode))
    else:
        click.echo(_("« %(slug)s » était déjà en mode %(mode)s.", slug=slug, mode=mode))


@allocation_cli.command("pin")
@click.argument("slug")
@click.argument("email")
@click.argument("item_ids", nargs=-1, type=int)
def pin_command(slug: str, email: str, item_ids: tuple[int, ...]) -> None:
    """Pin a pending person (a speaker, a facilitator) to workshops; no ids removes the pins."""
    event = _event(slug)
    try:
        pin(event, email, list(item_ids))
    except AllocationRefused as refused:
        raise click.ClickException(str(refused.message)) from None
    if item_ids:
        click.echo(
            _(
                "« %(email)s » sera placé·e dans : %(ids)s.",
                email=email,
                ids=", ".join(str(i) for i in item_ids),
            )
        )
    else:
        click.echo(_("« %(email)s » n'est plus épinglé·e.", email=email))


def figures(allocation: Allocation, problem: Problem) -> list[str]:
    """The lines that describe an allocation: seated, waitlisted, seats at each rank, then
    the same for people (their 1st choice, every workshop within their top choices)."""
    lines = [
        _(
            "%(seated)s personne(s) placée(s), %(waiting)s en liste d'attente",
            seated=allocation.seated,
            waiting=len(allocation.waitlist),
        ),
        _("Ateliers attribués, par rang du thème :"),
    ]
    for rank, count in allocation.rank_counts.items():
        lines.append(_("  choix n° %(rank)s : %(count)s atelier(s)", rank=rank, count=count))
    if allocation.worst_rank is not None:
        lines.append(_("  pire choix attribué : n° %(rank)s", rank=allocation.worst_rank))
    if allocation.seated:
        lines.extend(people_lines(people_figures(problem, allocation)))
    return lines


def people_lines(people: PeopleFigures) -> list[str]:
    """People per rank: who got their 1st choice, whose workshops are all within their n
    first choices, who has a workshop outside their ranked choices."""
    lines = [
        _("Personnes placées, selon leurs choix :"),
        _(
            "  %(count)s sur %(seated)s ont obtenu leur 1er choix",
            count=people.first_choice,
            seated=people.seated,
        ),
    ]
    for top, count in people.within.items():
        lines.append(
            _(
                "  %(count)s sur %(seated)s ont tous leurs ateliers parmi leurs %(top)s "
                "premiers choix",
                count=count,
                seated=people.seated,
                top=top,
            )
        )
    if people.outside:
        lines.append(
            _(
                "  %(count)s ont au moins un atelier hors de leurs choix classés",
                count=people.outside,
            )
        )
    return lines


def moves(done: Run) -> list[str]:
    """What a full re-run changes (or would change, dry run) for people already known."""
    if done.applied:
        return [
            _(
                "%(moved)s personne(s) déjà placée(s) changent d'ateliers, %(promoted)s "
                "quitte(nt) la liste d'attente ; un courriel à chaque personne concernée, "
                "aucun aux autres.",
                moved=done.moved,
                promoted=done.promoted,
            )
        ]
    return [
        _(
            "%(moved)s personne(s) déjà placée(s) changeraient d'ateliers, %(promoted)s "
            "quitterai(en)t la liste d'attente.",
            moved=done.moved,
            promoted=done.promoted,
        ),
        _("Simulation : rien n'a changé."),
    ]


@allocation_cli.command("run")
@click.argument("slug")
@click.option("--dry-run", is_flag=True, help="Print the result, change nothing.")
@click.option(
    "--full",
    is_flag=True,
    help="Allocate everyone again, moving people already seated when that does better "
    "(pins kept); each person moved gets an update mail.",
)
def run_command(slug: str, dry_run: bool, full: bool) -> None:
    """Seat everyone pending at once, optimally for their rankings, and mail them."""
    event = _event(slug)
    try:
        done = rerun(event, dry_run=dry_run) if full else run(event, dry_run=dry_run)
    except AllocationRefused as refused:
        raise click.ClickException(str(refused.message)) from None
    optimal = done.optimal
    if optimal.proven_optimal:
        click.echo(_("Allocation optimale (prouvée) :"))
    else:
        click.echo(
            _("Allocation (optimum non prouvé, solveur : %(status)s) :", status=optimal.status)
        )
    for line in figures(optimal, done.problem):
        click.echo(line)
    if optimal.seated == 0:
        click.echo(_("Les capacités ne permettent de placer personne : tout le monde attend."))
    click.echo(_("Premier arrivé, premier servi, dans l'ordre d'inscription :"))
    for line in figures(done.first_come, done.problem):
        click.echo(line)
    if done.full:
        for line in moves(done):
            click.echo(line)
    elif done.applied:
        click.echo(
            _(
                "%(seated)s personne(s) confirmée(s), %(waiting)s en liste d'attente ; "
                "un courriel à chacune.",
                seated=optimal.seated,
                waiting=len(optimal.waitlist),
            )
        )
    else:
        click.echo(_("Simulation : rien n'a changé."))
