"""`smo awareness`: bring every employee along (job 1) — campaigns sent once to each person,
surveys and the awareness index, and the reach per department."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from smo_cli.cli._context import get_app
from smo_cli.cli._options import DeptOpt, DryRunOpt, FormatOpt, LangOpt, command_group
from smo_cli.render.output import OutputFormat

app = command_group(
    "Awareness (job 1): campaigns to every employee, surveys, and the reach per department.",
    "smo awareness campaign new kickoff-2026 --kind kickoff --lang nl",
    "smo awareness campaign new tip-1 --kind tip            # the next tip not used yet",
    "smo awareness campaign new nieuws-nov --kind newsletter --month 2026-11",
    "smo awareness campaign show kickoff-2026",
    "smo awareness send kickoff-2026 --dept sales --dry-run",
    "smo awareness survey new survey.yaml",
    "smo awareness survey import nulmeting-2026 responses.csv",
    "smo awareness survey results nulmeting-2026 -f md",
    "smo awareness status --campaigns",
)
campaign_app = command_group(
    "Campaigns from templates: kick-off, policy launch, tips and the monthly newsletter.",
    "smo awareness campaign new kickoff-2026 --kind kickoff",
    "smo awareness campaign new beleid-v1 --kind policy-launch",
    "smo awareness campaign new tip-7 --kind tip --tip 7 --lang en",
    "smo awareness campaign list",
    "smo awareness campaign show beleid-v1 --person jan@acme.nl",
)
survey_app = command_group(
    "Questionnaires on knowledge, attitude and behaviour, and the awareness index.",
    "smo awareness survey new survey.yaml",
    "smo awareness survey import nulmeting-2026 responses.csv",
    "smo awareness survey list",
    "smo awareness survey results nulmeting-2026 -f json",
)
app.add_typer(campaign_app, name="campaign")
app.add_typer(survey_app, name="survey")


class CampaignKind(StrEnum):
    kickoff = "kickoff"
    policy_launch = "policy-launch"
    tip = "tip"
    newsletter = "newsletter"


class ReportFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    md = "md"


ReportOpt = Annotated[ReportFormat, typer.Option("--format", "-f", help="Output format.",
                                                 case_sensitive=False)]


def _emit_report(rows: list[dict[str, Any]], columns: list[str], fmt: ReportFormat,
                 empty: str) -> None:
    """A report as a table, JSON, CSV or a Markdown table; a missing figure shows as "—"."""
    from smo_cli.render.output import emit_rows, say

    if fmt in (ReportFormat.table, ReportFormat.md):
        rows = [{k: "—" if row.get(k) is None else row[k] for k in columns} for row in rows]
    if fmt is ReportFormat.md:
        from smo_cli.render.markdown import markdown_table

        say(markdown_table(rows, columns).rstrip() if rows else empty)
        return
    emit_rows(rows, fmt=OutputFormat(fmt.value), columns=columns, empty=empty)


@campaign_app.command("new")
def new_campaign(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(help="A short key, e.g. kickoff-2026.")],
    kind: Annotated[CampaignKind, typer.Option("--kind", "-k", help="What the campaign is.")],
    lang: LangOpt = None,
    tip: Annotated[int | None, typer.Option(
        "--tip", min=1, help="Tip number (default: the next tip not used yet).")] = None,
    month: Annotated[str | None, typer.Option(
        "--month", help="Newsletter month, e.g. 2026-11 (default: this month).")] = None,
) -> None:
    """Make a campaign from the templates; its facts are fixed now, the texts per person."""
    from smo_cli.render.output import say
    from smo_cli.services.awareness import new_campaign as make

    context = get_app(ctx)
    with context.transaction() as session:
        campaign = make(session, context.workspace(), key=key, kind=kind.value, lang=lang,
                        tip=tip, month=month)
        subject = campaign.subject
    say(f"Campaign {key}: {subject}")


@campaign_app.command("list")
def list_campaigns(ctx: typer.Context, fmt: FormatOpt = OutputFormat.table) -> None:
    """Campaigns, oldest first, with how many people received each."""
    from smo_cli.render.output import emit_rows
    from smo_cli.services.awareness import list_campaigns as campaigns

    with get_app(ctx).reading() as session:
        rows = campaigns(session)
    emit_rows(rows, fmt=fmt, columns=["key", "kind", "lang", "subject", "created_at", "sent"],
              empty="No campaigns yet.")


@campaign_app.command("show")
def show_campaign(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(help="Campaign key.")],
    person: Annotated[str | None, typer.Option(
        "--person", help="Preview for this e-mail address (default: the first person).")] = None,
    html: Annotated[bool, typer.Option("--html", help="Show the HTML part.")] = False,
) -> None:
    """The campaign as one person would receive it."""
    from smo_cli.render.output import note, say
    from smo_cli.services.awareness import preview_campaign

    context = get_app(ctx)
    with context.reading() as session:
        preview = preview_campaign(session, context.workspace(), key, email=person)
    note(f"Preview for {preview.recipient.name} <{preview.recipient.email}>.")
    say(f"Subject: {preview.subject}\n")
    say((preview.html if html else preview.text).rstrip("\n"))


@app.command("send")
def send_campaign(
    ctx: typer.Context,
    campaign: Annotated[str, typer.Argument(help="Campaign key.")],
    dept: DeptOpt = None,
    dry_run: DryRunOpt = False,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Send a campaign to everyone (or one department) who has not received it yet."""
    from smo_cli.errors import ExitCode
    from smo_cli.render.output import emit_rows, note, plural
    from smo_cli.services.awareness import send_campaign as send

    context = get_app(ctx)
    outcome = send(context.engine(), context.workspace(), context.env, campaign,
                   department=dept, dry_run=dry_run)
    emit_rows([r.row() for r in outcome.recipients], fmt=fmt,
              columns=["email", "name", "department"], empty="Nobody new to send it to.")
    if outcome.already:
        note(f"{plural(outcome.already, 'person', 'people')} received it before.")
    report = outcome.delivery
    if dry_run:
        note("Dry run: nothing was stored or sent.")
    elif report is not None:
        note(f"Sent {report.sent}, failed {report.failed}, retrying later {report.retrying}.")
        if report.failed and not report.sent:
            raise typer.Exit(ExitCode.SOURCE)


@survey_app.command("new")
def new_survey(ctx: typer.Context,
               file: Annotated[Path, typer.Argument(help="Questionnaire (YAML).")]) -> None:
    """Store a questionnaire: key, title, scale and questions (id, text, dimension, reverse)."""
    from smo_cli.render.output import say
    from smo_cli.services.business_hours import local_today
    from smo_cli.services.surveys import new_survey as store

    context = get_app(ctx)
    with context.transaction() as session:
        survey = store(session, file, today=local_today(context.workspace()))
        key, count = survey.key, len(survey.questions)
    say(f"Survey {key}: {count} questions.")


@survey_app.command("list")
def list_surveys(ctx: typer.Context, fmt: FormatOpt = OutputFormat.table) -> None:
    """Surveys in the order they opened: responses, the awareness index and its trend."""
    from smo_cli.render.output import emit_rows
    from smo_cli.services.surveys import list_surveys as surveys

    with get_app(ctx).reading() as session:
        rows = surveys(session)
    emit_rows(rows, fmt=fmt, empty="No surveys yet.",
              columns=["key", "title", "opened_on", "questions", "responses", "index", "trend"])


@survey_app.command("import")
def import_responses(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(help="Survey key.")],
    file: Annotated[Path, typer.Argument(help="Responses (CSV): respondent or email, "
                                         "department, date, one column per question.")],
) -> None:
    """Import responses from a form export; a bad row stops it and nothing is imported."""
    from smo_cli.render.output import say
    from smo_cli.services.business_hours import local_today
    from smo_cli.services.surveys import import_responses as load

    context = get_app(ctx)
    workspace = context.workspace()
    with context.transaction() as session:
        summary = load(session, workspace, key, file, today=local_today(workspace))
    say(f"Responses: {summary}.")


@survey_app.command("results")
def survey_results(ctx: typer.Context, key: Annotated[str, typer.Argument(help="Survey key.")],
                   fmt: ReportOpt = ReportFormat.table) -> None:
    """The awareness index (0 to 100) per department and overall, per dimension, and the trend."""
    from smo_cli.services.surveys import DIMENSIONS
    from smo_cli.services.surveys import survey_results as results

    with get_app(ctx).reading() as session:
        rows = results(session, key)
    _emit_report(rows, ["department", "respondents", "index", *DIMENSIONS, "trend"], fmt,
                 "No responses yet.")


@app.command("status")
def show_status(
    ctx: typer.Context,
    dept: DeptOpt = None,
    campaigns: Annotated[bool, typer.Option(
        "--campaigns", help="Also how many received each campaign.")] = False,
    fmt: ReportOpt = ReportFormat.table,
) -> None:
    """Reach per department: people, received a campaign, acknowledged the policy, trained,
    the latest awareness index and its trend."""
    from smo_cli.render.output import note
    from smo_cli.services.awareness_status import awareness_status
    from smo_cli.services.business_hours import local_today

    context = get_app(ctx)
    workspace = context.workspace()
    today: date = local_today(workspace)
    with context.reading() as session:
        report = awareness_status(session, workspace, department=dept, per_campaign=campaigns,
                                  today=today)
    rows, columns = report.rows, list(report.columns)
    if campaigns and fmt is not ReportFormat.json:
        # One column per campaign for people; JSON keeps them in one stable "campaigns" key.
        rows = [{**{k: v for k, v in r.items() if k != "campaigns"}, **r["campaigns"]}
                for r in rows]
        columns += report.campaigns
    elif campaigns:
        columns.append("campaigns")
    _emit_report(rows, columns, fmt, "Nobody in the people list.")
    if report.policy_version is None:
        note("No policy published yet: nothing to acknowledge.")
