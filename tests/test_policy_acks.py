"""`smo policy ack|status|remind`: who acknowledged which published version, and reminders
to everyone else over a real local SMTP server."""

from __future__ import annotations

import json
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path

import pytest
import yaml
from sqlmodel import select

from smo_cli.db.engine import transaction
from smo_cli.db.models import PolicyVersion
from tests.conftest import Run, workspace_engine
from tests.smtp_server import Inbox, smtp_server

__all__ = ["smtp_server"]   # the fixture, used by name

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "acme"
HR = ("linda.visser@acme-installatie.example", "sophie.dekker@acme-installatie.example")
MARKETING = ("sanne.devries@acme-installatie.example", "daan.peters@acme-installatie.example",
             "noor.hoekstra@acme-installatie.example")


@pytest.fixture
def published(run: Run, workspace: Path) -> Run:
    """Acme's people and its policy, published as version 1 (Dutch)."""
    run("org", "people", "import", str(EXAMPLES / "employees.csv"))
    run("inventory", "import", str(EXAMPLES / "accounts.csv"))
    (workspace / "policy.yaml").write_text((EXAMPLES / "policy.yaml").read_text())
    result = run("policy", "publish", "--lang", "nl")
    assert result.exit_code == 0, result.stderr
    return run


def _status(run: Run, *args: str) -> dict[str, dict[str, object]]:
    result = run("policy", "status", "-f", "json", *args)
    assert result.exit_code == 0, result.stderr
    return {row["email"]: row for row in json.loads(result.stdout)}


def _publish_again(run: Run, workspace: Path) -> None:
    answers = yaml.safe_load((workspace / "policy.yaml").read_text())
    answers["crisis_phone"] = "088 123 45 99"
    (workspace / "policy.yaml").write_text(yaml.safe_dump(answers, allow_unicode=True))
    result = run("policy", "publish", "--lang", "nl")
    assert result.exit_code == 0 and "version 2" in result.stdout, result.stderr


def _body(mail: EmailMessage, kind: str) -> str:
    part = mail.get_body((kind,))
    assert part is not None, f"no {kind} part"
    content: str = part.get_content()
    return content


def _backdate(workspace: Path, number: int, day: str) -> None:
    engine = workspace_engine(workspace)
    with transaction(engine) as session:
        version = session.exec(select(PolicyVersion).where(PolicyVersion.number == number)).one()
        version.published_at = datetime.fromisoformat(f"{day}T10:00:00+00:00")
    engine.dispose()


def test_ack_needs_a_published_version(run: Run) -> None:
    run("org", "people", "import", str(EXAMPLES / "employees.csv"))
    result = run("policy", "ack", HR[0])
    assert result.exit_code == 3
    assert "no policy version in 'nl' has been published" in result.stderr


def test_status_per_person_and_per_department(published: Run) -> None:
    assert published("policy", "ack", *HR).exit_code == 0
    people = _status(published)
    assert len(people) == 40
    assert {people[e]["state"] for e in HR} == {"current"}
    assert people[MARKETING[0]]["state"] == "none"
    assert people[HR[0]]["version"] == 1
    summary = {row["department"]: row for row in json.loads(
        published("policy", "status", "--summary", "-f", "json").stdout)}
    assert summary["hr"] == {"department": "hr", "people": 2, "current": 2, "older": 0,
                             "none": 0, "rate": "100%"}
    assert summary["marketing"]["none"] == 3 and summary["marketing"]["rate"] == "0%"
    only_hr = _status(published, "--dept", "hr")
    assert set(only_hr) == set(HR)
    assert "2 of 40 acknowledged" in published("policy", "status").stderr


def test_a_new_version_turns_acknowledgements_into_older_ones(published: Run,
                                                              workspace: Path) -> None:
    published("policy", "ack", *HR)
    _publish_again(published, workspace)
    people = _status(published)
    assert [people[e]["state"] for e in HR] == ["older", "older"]
    published("policy", "ack", HR[0])
    people = _status(published)
    assert (people[HR[0]]["state"], people[HR[0]]["version"]) == ("current", 2)
    assert (people[HR[1]]["state"], people[HR[1]]["version"]) == ("older", 1)
    # acknowledging an earlier version explicitly is history, not the current state
    published("policy", "ack", MARKETING[0], "--version", "1")
    assert _status(published)[MARKETING[0]]["state"] == "older"


def test_unknown_address_records_nothing(published: Run) -> None:
    result = published("policy", "ack", HR[0], "nobody@acme-installatie.example")
    assert result.exit_code == 3
    assert result.stderr.count("\n") <= 2       # one line, and a hint
    assert "nobody@acme-installatie.example is not in the people list" in result.stderr
    assert _status(published)[HR[0]]["state"] == "none"


def test_ack_twice_is_recorded_once(published: Run) -> None:
    assert "1 recorded, 0 already" in published("policy", "ack", HR[0]).stdout
    assert "0 recorded, 1 already" in published("policy", "ack", HR[0].upper()).stdout


def test_dates_before_publication_or_in_the_future_are_refused(published: Run) -> None:
    future = published("policy", "ack", HR[0], "--date", "2999-01-01")
    assert future.exit_code == 5 and "2999-01-01 is in the future" in future.stderr
    early = published("policy", "ack", HR[0], "--date", "2001-01-01")
    assert early.exit_code == 5 and "is before version 1 was published" in early.stderr
    assert _status(published)[HR[0]]["state"] == "none"


def test_import_takes_the_version_in_force_on_each_date(published: Run, workspace: Path,
                                                        tmp_path: Path) -> None:
    _publish_again(published, workspace)
    _backdate(workspace, 1, "2026-09-01")
    _backdate(workspace, 2, "2026-10-15")
    acks = tmp_path / "bevestigingen.csv"
    acks.write_text("E-mail;Datum;Versie\n"
                    f"{HR[0]};20-09-2026;\n"                       # day-first: version 1
                    f"{HR[1]};2026-10-20T08:15:00Z;\n"              # ISO with time: version 2
                    f"{MARKETING[0]};2026-11-01;1\n", encoding="utf-8")   # explicitly 1
    result = published("policy", "ack", "--import", str(acks))
    assert result.exit_code == 0, result.stderr
    assert "3 recorded" in result.stdout
    people = _status(published)
    assert (people[HR[0]]["state"], people[HR[0]]["acknowledged_on"]) == ("older", "2026-09-20")
    assert people[HR[1]]["state"] == "current"
    assert (people[MARKETING[0]]["state"], people[MARKETING[0]]["version"]) == ("older", 1)


@pytest.mark.parametrize(("row", "error"), [
    ("31-13-2026", "line 3, column date: '31-13-2026' is not a date"),
    ("2026-08-01", "line 3, column date: no version in 'nl' had been published on 2026-08-01"),
    ("2999-02-02", "line 3, column date: 2999-02-02 is in the future"),
])
def test_import_errors_name_line_and_column_and_import_nothing(
        published: Run, workspace: Path, tmp_path: Path, row: str, error: str) -> None:
    _backdate(workspace, 1, "2026-09-01")
    acks = tmp_path / "acks.csv"
    acks.write_text(f"email,date\n{HR[0]},2026-09-02\n{HR[1]},{row}\n", encoding="utf-8")
    result = published("policy", "ack", "--import", str(acks))
    assert result.exit_code == 5
    assert f"acks.csv: {error}" in result.stderr
    assert "nothing was imported" in result.stderr
    assert _status(published)[HR[0]]["state"] == "none"


def test_import_names_an_unknown_person_and_version(published: Run, tmp_path: Path) -> None:
    acks = tmp_path / "acks.csv"
    acks.write_text(f"email,date,version\n{HR[0]},2026-11-01,7\n", encoding="utf-8")
    result = published("policy", "ack", "--import", str(acks))
    assert result.exit_code == 5 and "line 2, column version: '7' is not a published" \
        in result.stderr
    acks.write_text("email,date\nwho@else.example,2026-11-01\n", encoding="utf-8")
    result = published("policy", "ack", "--import", str(acks))
    assert "line 2, column email: who@else.example is not in the people list" in result.stderr


def _use_smtp(workspace: Path, port: int) -> None:
    settings = yaml.safe_load((workspace / "smo.yaml").read_text())
    settings["channels"] = [{"name": "mail", "kind": "smtp", "host": "127.0.0.1", "port": port,
                             "security": "none", "from": "sanne.devries@acme-installatie.example"}]
    settings["delivery"] = {"channel": "mail"}
    (workspace / "smo.yaml").write_text(yaml.safe_dump(settings, allow_unicode=True))


def test_remind_mails_who_has_not_acknowledged_the_current_version(
        published: Run, workspace: Path, smtp_server: tuple[Inbox, int]) -> None:
    inbox, port = smtp_server
    _use_smtp(workspace, port)
    published("policy", "ack", *MARKETING)
    published("policy", "ack", HR[0])
    _publish_again(published, workspace)
    published("policy", "ack", MARKETING[0])      # current again; the other two are older

    dry = published("policy", "remind", "--dept", "marketing", "--dry-run", "-f", "json")
    assert dry.exit_code == 0
    assert {r["email"] for r in json.loads(dry.stdout)} == set(MARKETING[1:])
    assert inbox.envelopes == []

    result = published("policy", "remind", "--dept", "marketing")
    assert result.exit_code == 0, result.stderr
    assert "Sent 2, failed 0" in result.stderr
    mails = {m["To"]: m for m in inbox.messages()}
    assert set(mails) == set(MARKETING[1:])
    mail = mails[MARKETING[1]]
    assert mail["Subject"] == "Herinnering: lees en bevestig het socialemediabeleid (versie 2)"
    text = _body(mail, "plain")
    assert text.startswith("Beste Daan,")
    assert "Je bevestigde op" in text and "versie 1" in text       # only an older version
    assert 'klik op "Gelezen"' in text                              # how, from policy.yaml
    html = _body(mail, "html")
    assert "<strong>versie 2</strong>" in html

    again = published("policy", "remind", "--dept", "marketing")
    assert "2 people already had today's reminder" in again.stderr
    assert len(inbox.envelopes) == 2

    everyone = published("policy", "remind", "-f", "json")
    reminded = {r["email"] for r in json.loads(everyone.stdout)}
    assert len(reminded) == 40 - 1 - 2          # current: 1; reminded today: 2
    assert HR[1] in reminded and HR[0] in reminded   # HR[0] acknowledged only version 1
    never = next(m for m in inbox.messages() if m["To"] == HR[1])
    assert "We hebben nog niet van je gehoord" in _body(never, "plain")


def test_remind_escapes_names_in_html(published: Run, workspace: Path,
                                      smtp_server: tuple[Inbox, int]) -> None:
    inbox, port = smtp_server
    _use_smtp(workspace, port)
    added = published("org", "people", "add", "eve@acme-installatie.example",
                      "--name", "<b>Eve</b> Jansen", "--dept", "hr")
    assert added.exit_code == 0, added.stderr
    result = published("policy", "remind", "--dept", "hr")
    assert result.exit_code == 0, result.stderr
    mail = next(m for m in inbox.messages() if m["To"] == "eve@acme-installatie.example")
    assert "&lt;b&gt;Eve&lt;/b&gt;" in _body(mail, "html")


def test_remind_without_a_channel_is_a_clear_error(published: Run, workspace: Path) -> None:
    settings = yaml.safe_load((workspace / "smo.yaml").read_text())
    settings["delivery"] = {}
    (workspace / "smo.yaml").write_text(yaml.safe_dump(settings, allow_unicode=True))
    result = published("policy", "remind")
    assert result.exit_code == 5
    assert "no delivery channel for reminders" in result.stderr


def test_remind_in_english(published: Run, workspace: Path,
                           smtp_server: tuple[Inbox, int]) -> None:
    inbox, port = smtp_server
    _use_smtp(workspace, port)
    assert published("policy", "publish", "--lang", "en").exit_code == 0
    published("policy", "remind", "--lang", "en", "--dept", "directie")
    mails = inbox.messages()
    assert len(mails) == 2
    assert mails[0]["Subject"] == ("Reminder: please read and confirm the social media policy "
                                   "(version 1)")
    assert _body(mails[0], "plain").startswith("Dear ")


def test_a_timestamp_with_an_offset_counts_on_the_company_s_day() -> None:
    from zoneinfo import ZoneInfo

    from smo_cli.services.policy_acks import parse_day

    amsterdam = ZoneInfo("Europe/Amsterdam")
    assert str(parse_day("2026-11-27T23:30:00Z", amsterdam)) == "2026-11-28"
    assert str(parse_day("2026-11-27T22:30:00Z", amsterdam)) == "2026-11-27"
    assert str(parse_day("27-11-2026", amsterdam)) == "2026-11-27"


def test_ack_is_kept_when_the_person_leaves_and_returns(published: Run) -> None:
    published("policy", "ack", HR[0])
    assert published("org", "people", "remove", HR[0]).exit_code == 0
    published("org", "people", "import", str(EXAMPLES / "employees.csv"))
    assert _status(published)[HR[0]]["state"] == "current"
