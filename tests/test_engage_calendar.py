"""The content calendar: table, CSV and .ics views, and a planning spreadsheet imported
all-or-nothing with errors that name the line and the column."""

from __future__ import annotations

from pathlib import Path

import icalendar
import pytest
from pytest_httpserver import HTTPServer

from tests.conftest import Outcome, Run
from tests.test_publish_servers import PNG, engage_config


@pytest.fixture
def smo(run: Run, workspace: Path, httpserver: HTTPServer) -> Run:
    engage_config(workspace, httpserver)
    return run


def ok(outcome: Outcome) -> Outcome:
    assert outcome.exit_code == 0, outcome.stderr
    return outcome


@pytest.fixture
def planned(smo: Run) -> Run:
    ok(smo("engage", "post", "Open dag!", "--to", "mastodon,bluesky", "--at", "2030-12-14 10:00"))
    ok(smo("engage", "draft", "Kerstgroet", "--to", "bluesky", "--at", "2030-12-24 09:00"))
    ok(smo("engage", "post", "Vacature", "--to", "mastodon", "--at", "2030-12-02 09:30"))
    ok(smo("engage", "post", "Geschrapt", "--to", "mastodon", "--at", "2030-12-03 09:30"))
    ok(smo("engage", "cancel", "4"))
    ok(smo("engage", "draft", "Ooit", "--to", "mastodon"))
    return smo


def test_the_calendar_lists_dated_posts_in_order(planned: Run) -> None:
    rows = ok(planned("engage", "calendar", "-f", "json")).json()
    assert [(r["id"], r["at"], r["weekday"], r["state"]) for r in rows] == [
        (3, "2030-12-02 09:30", "Mon", "scheduled"), (1, "2030-12-14 10:00", "Sat", "scheduled"),
        (2, "2030-12-24 09:00", "Tue", "draft")]
    december = ok(planned("engage", "calendar", "--from", "2030-12-10", "--to", "14-12-2030",
                          "-f", "csv")).stdout.splitlines()
    assert december[0] == "id,at,weekday,state,to,text,media,urls"
    assert december[1].startswith("1,2030-12-14 10:00,Sat,scheduled,")
    assert len(december) == 2


def test_the_calendar_as_ics_has_one_event_per_post(planned: Run, tmp_path: Path) -> None:
    target = tmp_path / "kalender.ics"
    ok(planned("engage", "calendar", "-f", "ics", "-o", str(target)))

    calendar = icalendar.Calendar.from_ical(target.read_bytes())
    events = {str(e["uid"]): e for e in calendar.walk("VEVENT")}
    assert sorted(events) == [f"smo-post-{n}@www.acme-installatie.example" for n in (1, 2, 3, 4)]
    open_day = events["smo-post-1@www.acme-installatie.example"]
    start = open_day.decoded("dtstart")
    assert (start.isoformat(), str(start.tzinfo)) == ("2030-12-14T10:00:00+01:00",
                                                      "Europe/Amsterdam")
    assert str(open_day["summary"]) == "acme-mastodon, acme-bluesky: Open dag!"
    assert str(open_day["status"]) == "CONFIRMED"
    assert str(events["smo-post-2@www.acme-installatie.example"]["status"]) == "TENTATIVE"
    assert str(events["smo-post-4@www.acme-installatie.example"]["status"]) == "CANCELLED"
    assert calendar.walk("VTIMEZONE")            # local times a calendar app can place


def _csv(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "kalender.csv"
    path.write_text(text, encoding="utf-8-sig")     # as Excel saves "CSV UTF-8"
    return path


def test_a_planning_spreadsheet_is_imported_once(smo: Run, tmp_path: Path) -> None:
    (tmp_path / "beurs.png").write_bytes(PNG)
    path = _csv(tmp_path, "tijd;tekst;naar;afbeelding;alt-tekst\n"
                          "02-12-2030 09:30;Wij zoeken een monteur #vacature;mastodon,bluesky;;\n"
                          "2030-12-05 14:00;Zie ons op de beurs;acme-bluesky;beurs.png;Onze stand\n"
                          ";Idee voor januari;mastodon;;\n")

    first = ok(smo("engage", "import", str(path)))
    second = ok(smo("engage", "import", str(path)))

    assert "Calendar: 2 scheduled, 1 drafts, 0 already on the calendar." in first.stdout
    assert "Calendar: 0 scheduled, 0 drafts, 3 already on the calendar." in second.stdout
    rows = ok(smo("engage", "list", "-f", "json")).json()
    assert [(r["at"], r["state"], r["to"], r["media"]) for r in rows] == [
        ("2030-12-02 09:30", "scheduled", ["acme-mastodon", "acme-bluesky"], 0),
        ("2030-12-05 14:00", "scheduled", ["acme-bluesky"], 1),
        ("", "draft", ["acme-mastodon"], 0)]


@pytest.mark.parametrize(("row", "where", "problem"), [
    ("2030-12-02 09:30,Hallo,twitter,,", "line 3, column to", "no posting account 'twitter'"),
    ("2020-12-02 09:30,Hallo,mastodon,,", "line 3, column at", "is in the past"),
    ("volgende week,Hallo,mastodon,,", "line 3, column at", "is not a time"),
    ("2030-12-02 09:30," + "é" * 301 + ",bluesky,,", "line 3, column text",
     "acme-bluesky: text is 301 characters; Bluesky allows 300"),
    ("2030-12-02 09:30,Hallo,mastodon,beurs.png,", "line 3, column alt", "1 images but 0 alt"),
    ("2030-12-02 09:30,Hallo,mastodon,weg.png,Weg", "line 3, column media", "does not exist"),
])
def test_one_bad_row_stops_the_whole_import(smo: Run, tmp_path: Path, row: str, where: str,
                                            problem: str) -> None:
    (tmp_path / "beurs.png").write_bytes(PNG)
    path = _csv(tmp_path, f"at,text,to,media,alt\n2030-12-01 09:00,Goed,mastodon,,\n{row}\n")

    result = smo("engage", "import", str(path))

    assert result.exit_code == 5
    assert f"{path}: {where}: " in result.stderr and problem in result.stderr
    assert "nothing was imported" in result.stderr
    assert ok(smo("engage", "list", "-f", "json")).json() == []


def test_an_unknown_column_is_refused(smo: Run, tmp_path: Path) -> None:
    path = _csv(tmp_path, "at,text,to,platform\n")
    result = smo("engage", "import", str(path))
    assert result.exit_code == 5 and "line 1: unknown column platform" in result.stderr
