"""`smo training session` and `smo training invite`: sessions with a stable calendar UID,
invitations with a `.ics` attachment received by a real local SMTP server, updates, capacity,
dry runs and cancellations."""

from __future__ import annotations

import json
from datetime import date, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import icalendar
import pytest
import yaml
from sqlmodel import Session, select

from smo_cli.db.models import OutboxMessage, TrainingInvite
from tests.conftest import Run, workspace_engine
from tests.smtp_server import Inbox, smtp_server

__all__ = ["smtp_server"]   # the fixture, used by name

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "acme"
OFFICER = "sanne.devries@acme-installatie.example"
HR = ("linda.visser@acme-installatie.example", "sophie.dekker@acme-installatie.example")
MARKETING = ("daan.peters@acme-installatie.example", "noor.hoekstra@acme-installatie.example",
             OFFICER)


@pytest.fixture
def acme(run: Run, workspace: Path) -> Run:
    """Acme's people, accounts and courses; mail goes to the local SMTP server when asked."""
    for args in (("org", "people", "import", str(EXAMPLES / "employees.csv")),
                 ("inventory", "import", str(EXAMPLES / "accounts.csv"))):
        assert run(*args).exit_code == 0
    (workspace / "training.yaml").write_text((EXAMPLES / "training.yaml").read_text())
    return run


@pytest.fixture
def mail(acme: Run, workspace: Path, smtp_server: tuple[Inbox, int]) -> Inbox:
    inbox, port = smtp_server
    settings = yaml.safe_load((workspace / "smo.yaml").read_text())
    settings["channels"] = [{"name": "mail", "kind": "smtp", "host": "127.0.0.1", "port": port,
                             "security": "none", "from": OFFICER}]
    settings["delivery"] = {"channel": "mail"}
    (workspace / "smo.yaml").write_text(yaml.safe_dump(settings, allow_unicode=True))
    return inbox


def _add(run: Run, course: str, at: str, *extra: str) -> dict[str, Any]:
    result = run("training", "session", "add", course, "--at", at, "--location",
                 "Kantine, Arnhem", *extra, "-f", "json")
    assert result.exit_code == 0, result.stderr
    record: dict[str, Any] = result.json()
    return record


def _ics(message: EmailMessage) -> icalendar.Calendar:
    attachments = list(message.iter_attachments())
    assert [a.get_filename() for a in attachments] == ["training.ics"]
    assert attachments[0].get_content_type() == "text/calendar"
    content = attachments[0].get_content()
    return icalendar.Calendar.from_ical(content)


def _event(message: EmailMessage) -> Any:
    return _ics(message).walk("VEVENT")[0]


def _body(message: EmailMessage, kind: str) -> str:
    part = message.get_body((kind,))
    assert part is not None
    content: str = part.get_content()
    return content


def _by_recipient(inbox: Inbox) -> dict[str, list[EmailMessage]]:
    found: dict[str, list[EmailMessage]] = {}
    for message in inbox.messages():
        # Python's e-mail folding puts a 69-77 character subject on a line of its own, and its
        # parser then keeps the folding space: compare subjects without it.
        subject = str(message["Subject"])
        del message["Subject"]
        message["Subject"] = subject.strip()
        found.setdefault(str(message["To"]), []).append(message)
    return found


def test_session_add_and_list(acme: Run) -> None:
    record = _add(acme, "basis", "2030-12-03 09:00", "--trainer", "Mark.Jansen@acme-installatie"
                  ".example", "--capacity", "12")
    assert (record["starts"], record["ends"]) == ("2030-12-03 09:00", "2030-12-03 10:00")
    assert record["trainer"] == "mark.jansen@acme-installatie.example"
    assert record["uid"].startswith("smo-training-1-")
    assert record["uid"].endswith("@acme-installatie.example")
    _add(acme, "woordvoering", "2020-01-06 13:00")
    rows = acme("training", "session", "list", "-f", "json").json()
    assert list(rows[0]) == ["id", "course", "starts", "ends", "location", "trainer",
                             "capacity", "invited", "attended", "sequence", "state"]
    assert [(r["id"], r["state"]) for r in rows] == [(2, "held"), (1, "planned")]
    assert [r["id"] for r in acme("training", "session", "list", "--upcoming",
                                  "-f", "json").json()] == [1]
    bad = acme("training", "session", "add", "basis", "--at", "volgende week", "--location", "K")
    assert bad.exit_code == 5 and "is not a date and time" in bad.stderr
    gap = acme("training", "session", "add", "basis", "--at", "2030-03-31 02:30",
               "--location", "K")
    assert gap.exit_code == 5 and "does not exist in Europe/Amsterdam" in gap.stderr
    unknown = acme("training", "session", "add", "cursus", "--at", "2030-01-01 09:00",
                   "--location", "K")
    assert unknown.exit_code == 3 and "no course 'cursus'" in unknown.stderr


def test_invitations_arrive_with_a_calendar_entry(mail: Inbox, acme: Run) -> None:
    session = _add(acme, "woordvoering", "2030-12-03 13:30", "--trainer",
                   "pieter.bakker@acme-installatie.example")
    result = acme("training", "invite", "1", "--dept", "marketing")
    assert result.exit_code == 0, result.stderr
    assert "Sent 3, failed 0" in result.stderr
    received = _by_recipient(mail)
    assert set(received) == set(MARKETING)
    message = received[MARKETING[0]][0]
    assert message["Subject"] == ("Uitnodiging: Woordvoering en crisiscommunicatie op "
                                  "dinsdag 3 december 2030")
    text = _body(message, "plain")
    assert text.startswith("Beste Daan,")
    assert "Wanneer: dinsdag 3 december 2030, 13:30–16:30 uur" in text
    assert "Trainer: Pieter Bakker" in text
    assert "- Een journalist aan de telefoon (40 min)" in text
    calendar = _ics(message)
    assert calendar["METHOD"] == "REQUEST"
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/Amsterdam"]
    event = calendar.walk("VEVENT")[0]
    assert str(event["UID"]) == session["uid"]
    assert event["SEQUENCE"] == 0
    assert event["DTSTART"].params["TZID"] == "Europe/Amsterdam"
    start, end = event.decoded("DTSTART"), event.decoded("DTEND")
    assert (start.hour, start.minute, end.hour, end.minute) == (13, 30, 16, 30)
    assert event.decoded("DTSTAMP").tzinfo is not None
    assert str(event["SUMMARY"]) == "Woordvoering en crisiscommunicatie — Acme Installatietechniek"
    assert str(event["LOCATION"]) == "Kantine, Arnhem"
    assert "Oefening: storing bij een grote klant gaat viraal (60 min)" in str(
        event["DESCRIPTION"])
    assert str(event["ORGANIZER"]) == f"mailto:{OFFICER}"
    assert event["ORGANIZER"].params["CN"] == "Sanne de Vries"
    attendee = event["ATTENDEE"]
    assert str(attendee) == f"mailto:{MARKETING[0]}"
    assert (attendee.params["RSVP"], attendee.params["PARTSTAT"]) == ("TRUE", "NEEDS-ACTION")
    assert attendee.params["CN"] == "Daan Peters"


def test_a_second_invite_sends_nobody_twice(mail: Inbox, acme: Run) -> None:
    _add(acme, "basis", "2030-12-03 09:00")
    acme("training", "invite", "1", "--dept", "hr")
    again = acme("training", "invite", "1", "--dept", "hr", "-f", "json")
    assert again.exit_code == 0
    assert again.json() == []
    assert "2 people already had this invitation." in again.stderr
    more = acme("training", "invite", "1", "--dept", "directie", "-f", "json")
    assert {r["email"] for r in more.json()} == {"pieter.bakker@acme-installatie.example",
                                                 "ingrid.deboer@acme-installatie.example"}
    assert len(mail.envelopes) == 4
    listed = acme("training", "session", "list", "-f", "json").json()
    assert listed[0]["invited"] == 4


def test_an_edit_sends_the_update_with_the_same_uid_and_a_higher_sequence(
        mail: Inbox, acme: Run) -> None:
    # Friday before the clocks go forward (31 March 2030) at 10:00 CET (UTC+1) ...
    session = _add(acme, "basis", "2030-03-29 10:00")
    acme("training", "invite", "1", "--dept", "hr")
    before = _event(_by_recipient(mail)[HR[0]][0])
    assert before.decoded("DTSTART").utcoffset() == timedelta(hours=1)
    # ... moved to the Tuesday after, still 10:00 local time but now CEST (UTC+2).
    edited = acme("training", "session", "edit", "1", "--at", "2030-04-02 10:00",
                  "--location", "Vergaderzaal 2", "-f", "json")
    assert edited.exit_code == 0, edited.stderr
    assert (edited.json()["sequence"], edited.json()["ends"]) == (1, "2030-04-02 11:00")
    update = acme("training", "invite", "1", "-f", "json")   # no --dept: updates still go out
    assert update.exit_code == 0, update.stderr
    updates = [r for r in update.json() if r["kind"] == "update"]
    assert {r["email"] for r in updates} == set(HR)
    message = _by_recipient(mail)[HR[0]][1]
    assert message["Subject"].startswith("Gewijzigd: Sociale media bij Acme op dinsdag "
                                         "2 april 2030")
    after = _event(message)
    assert str(after["UID"]) == str(before["UID"]) == session["uid"]
    assert after["SEQUENCE"] == 1
    start = after.decoded("DTSTART")
    assert (start.hour, start.minute, start.utcoffset()) == (10, 0, timedelta(hours=2))
    assert after["DTSTART"].to_ical() == b"20300402T100000"
    assert str(after["LOCATION"]) == "Vergaderzaal 2"
    zone = _ics(message).walk("VTIMEZONE")[0]
    assert {str(c.name) for c in zone.subcomponents} == {"STANDARD", "DAYLIGHT"}
    # The update round also invited everyone else; the second round sends nothing.
    assert acme("training", "invite", "1", "-f", "json").json() == []


def test_capacity_is_respected_and_who_did_not_fit_is_named(mail: Inbox, acme: Run) -> None:
    _add(acme, "basis", "2030-12-03 09:00", "--capacity", "3")
    first = acme("training", "invite", "1", "--dept", "hr", "-f", "json")
    assert len(first.json()) == 2
    second = acme("training", "invite", "1", "--dept", "marketing", "-f", "json")
    assert [r["email"] for r in second.json()] == [MARKETING[0]]     # Daan Peters, by name
    assert ("Full: 2 people did not fit: noor.hoekstra@acme-installatie.example, "
            f"{OFFICER}") in second.stderr
    assert len(mail.envelopes) == 3


def test_invite_needs_invites_exactly_who_needs_the_course(mail: Inbox, acme: Run) -> None:
    acme("training", "attend", "--course", "accounts", "--date",
         (date.today() - timedelta(days=10)).isoformat(), OFFICER, "jan.jansen@acme-"
         "installatie.example")
    needs = {r["email"] for r in acme("training", "needs", "-f", "json").json()
             if r["course"] == "accounts"}
    assert needs == {"daan.peters@acme-installatie.example", "bram.willems@acme-installatie"
                     ".example", HR[1], "mark.jansen@acme-installatie.example"}
    _add(acme, "accounts", "2030-12-03 09:00")
    result = acme("training", "invite", "1", "--needs", "-f", "json")
    assert result.exit_code == 0, result.stderr
    assert {r["email"] for r in result.json()} == needs
    assert set(_by_recipient(mail)) == needs


def test_dry_run_sends_and_stores_nothing(mail: Inbox, acme: Run, workspace: Path,
                                          tmp_path: Path) -> None:
    _add(acme, "basis", "2030-12-03 09:00")
    dry = acme("training", "invite", "1", "--dept", "hr", "--dry-run", "--ics-out",
               str(tmp_path / "ics"), "-f", "json")
    assert dry.exit_code == 0, dry.stderr
    assert {r["email"] for r in dry.json()} == set(HR)
    assert "Dry run: nothing was sent or stored." in dry.stderr
    assert mail.envelopes == []
    assert not (tmp_path / "ics").exists()
    engine = workspace_engine(workspace)
    with Session(engine) as session:
        assert session.exec(select(OutboxMessage)).all() == []
        assert session.exec(select(TrainingInvite)).all() == []
    engine.dispose()
    cancel = acme("training", "session", "cancel", "1", "--dry-run")
    assert cancel.exit_code == 0
    assert acme("training", "session", "list", "-f", "json").json()[0]["state"] == "planned"


def test_ics_out_writes_one_calendar_file_per_invitee(mail: Inbox, acme: Run,
                                                      tmp_path: Path) -> None:
    session = _add(acme, "basis", "2030-12-03 09:00")
    folder = tmp_path / "ics"
    result = acme("training", "invite", "1", "--dept", "hr", "--ics-out", str(folder))
    assert result.exit_code == 0, result.stderr
    files = sorted(p.name for p in folder.iterdir())
    assert files == [f"training-1-{email.replace('@', '_')}.ics" for email in sorted(HR)]
    calendar = icalendar.Calendar.from_ical((folder / files[0]).read_text())
    assert str(calendar.walk("VEVENT")[0]["UID"]) == session["uid"]


def test_cancel_sends_method_cancel_to_everyone_invited(mail: Inbox, acme: Run) -> None:
    session = _add(acme, "basis", "2030-12-03 09:00")
    acme("training", "invite", "1", "--dept", "hr")
    result = acme("training", "session", "cancel", "1")
    assert result.exit_code == 0, result.stderr
    assert "Sent 2, failed 0" in result.stderr
    cancellation = _by_recipient(mail)[HR[1]][1]
    assert cancellation["Subject"] == ("Gaat niet door: Sociale media bij Acme op dinsdag "
                                       "3 december 2030")
    calendar = _ics(cancellation)
    assert calendar["METHOD"] == "CANCEL"
    event = calendar.walk("VEVENT")[0]
    assert (str(event["UID"]), event["SEQUENCE"], event["STATUS"]) == (session["uid"], 1,
                                                                       "CANCELLED")
    attachment = next(cancellation.iter_attachments())
    assert attachment.get_param("method") == "CANCEL"
    again = acme("training", "session", "cancel", "1")
    assert again.exit_code == 4 and "was cancelled already" in again.stderr
    assert acme("training", "invite", "1").exit_code == 4
    assert acme("training", "session", "edit", "1", "--location", "X").exit_code == 4


def test_invitations_in_english_escape_names_in_html(mail: Inbox, acme: Run) -> None:
    added = acme("org", "people", "add", "eve@acme-installatie.example", "--name",
                 "<b>Eve</b> Jansen", "--dept", "hr")
    assert added.exit_code == 0, added.stderr
    _add(acme, "basis", "2030-12-03 09:00")
    result = acme("training", "invite", "1", "--dept", "hr", "--lang", "en")
    assert result.exit_code == 0, result.stderr
    message = _by_recipient(mail)["eve@acme-installatie.example"][0]
    assert message["Subject"] == "Invitation: Sociale media bij Acme on Tuesday 3 December 2030"
    assert _body(message, "plain").startswith("Dear <b>Eve</b>,")
    html = _body(message, "html")
    assert "Dear &lt;b&gt;Eve&lt;/b&gt;," in html and "<b>Eve" not in html
    assert "When</th><td>Tuesday 3 December 2030, 09:00–10:00</td>" in html


def test_invite_refuses_past_sessions_and_needs_a_channel(acme: Run, workspace: Path) -> None:
    _add(acme, "basis", "2020-01-06 09:00")
    past = acme("training", "invite", "1")
    assert past.exit_code == 4 and "invitations are for sessions still to come" in past.stderr
    settings = yaml.safe_load((workspace / "smo.yaml").read_text())
    settings["delivery"] = {}
    (workspace / "smo.yaml").write_text(yaml.safe_dump(settings, allow_unicode=True))
    _add(acme, "basis", "2030-12-03 09:00")
    result = acme("training", "invite", "2")
    assert result.exit_code == 5 and "no delivery channel for training invitations" \
        in result.stderr


def test_invitations_through_the_file_channel(acme: Run, workspace: Path) -> None:
    _add(acme, "basis", "2030-12-03 09:00")
    result = acme("training", "invite", "1", "--dept", "hr")
    assert result.exit_code == 0, result.stderr
    files = sorted((workspace / "outbox").glob("*.eml"))
    assert [f.name for f in files] == ["smo-training-1-0-linda.visser_acme-installatie.example"
                                       ".eml", "smo-training-1-0-sophie.dekker_acme-installatie"
                                       ".example.eml"]
    outbox = json.loads(acme("outbox", "list", "-f", "json").stdout)
    assert {r["delivery"] for r in outbox} == {"invite"}
    assert {r["state"] for r in outbox} == {"sent"}
