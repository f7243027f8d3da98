"""Escalation: spikes per query group and bursts of negative mentions reach the crisis contacts."""

from __future__ import annotations

import email
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import policy
from pathlib import Path

import pytest
import yaml
from sqlalchemy.engine import Engine

from smo_cli.config import Workspace, load_workspace
from smo_cli.db.engine import make_engine, transaction
from smo_cli.db.models import Mention, MentionQuery
from smo_cli.services import queries
from smo_cli.services.escalation import NEGATIVE, escalate, find_spikes
from smo_cli.services.outbox import deliver

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


@pytest.fixture
def setup(workspace: Path) -> Iterator[tuple[Engine, Workspace]]:
    config = yaml.safe_load((workspace / "smo.yaml").read_text())
    config["escalation"] = {"window_minutes": 60, "baseline_days": 2, "k": 3, "min_count": 5,
                            "cooldown_hours": 6, "contacts": ["dept:directie", "officer"]}
    (workspace / "smo.yaml").write_text(yaml.safe_dump(config))
    ws = load_workspace(workspace)
    engine = make_engine(ws.database_url)
    with transaction(engine) as session:
        queries.add_query(session, name="brand", text="acme", group="brand")
    yield engine, ws
    engine.dispose()


def add(engine: Engine, when: datetime, text: str, *, sentiment: str = "neutral",
        query: str | None = "brand") -> None:
    with transaction(engine) as session:
        mention = Mention(source_name="test", dedup_key=f"text:{when.isoformat()}:{text}",
                          text=text, first_seen_at=when, content_hash="x", sentiment=sentiment)
        session.add(mention)
        session.flush()
        if query:
            session.add(MentionQuery(mention_id=mention.id or 0, query_name=query))


def steady(engine: Engine, per_hour: int = 1) -> None:
    for hour in range(2, 48):
        for n in range(per_hour):
            add(engine, NOW - timedelta(hours=hour, minutes=n), f"Acme nieuws {hour} {n}")


def test_a_spike_in_a_query_group_is_found_with_its_numbers(
        setup: tuple[Engine, Workspace]) -> None:
    engine, ws = setup
    steady(engine)
    for n in range(12):
        add(engine, NOW - timedelta(minutes=5 + n), f"Storing bij Acme, warmtepomp uitgevallen {n}")
    from smo_cli.db.engine import reading

    with reading(engine) as session:
        spikes = {s.subject: s for s in find_spikes(session, ws, NOW)}
    spike = spikes["brand"]
    assert spike.current == 12
    assert round(spike.mean, 2) == 0.96 and spike.threshold < 12
    assert {"storing", "warmtepomp"} <= set(spike.top_terms)
    assert NEGATIVE not in spikes


def test_no_alert_below_the_minimum_or_within_the_usual_variation(
        setup: tuple[Engine, Workspace]) -> None:
    engine, ws = setup
    steady(engine, per_hour=4)
    for n in range(4):
        add(engine, NOW - timedelta(minutes=5 + n), f"Acme gewoon {n}")
    from smo_cli.db.engine import reading

    with reading(engine) as session:
        assert find_spikes(session, ws, NOW) == []


def test_an_alert_goes_once_to_the_contacts_with_the_formula(
        setup: tuple[Engine, Workspace], workspace: Path) -> None:
    engine, ws = setup
    steady(engine)
    for n in range(8):
        add(engine, NOW - timedelta(minutes=3 + n), f"Acme is schandalig, lekkage {n}",
            sentiment="negative")
    with transaction(engine) as session:
        alerted = escalate(session, ws, NOW)
    assert {s.subject for s in alerted} == {"brand", NEGATIVE}
    with transaction(engine) as session:
        assert escalate(session, ws, NOW + timedelta(minutes=30)) == []      # cool-down
    report = deliver(engine, ws, {}, now=NOW)
    assert report.sent == 4                      # 2 spikes x (directie, officer)
    texts = [email.message_from_bytes(p.read_bytes(), policy=policy.default)
             for p in (workspace / "outbox").glob("smo-alert-*.eml")]
    assert {m["To"] for m in texts} == {"directie@acme-installatie.example",
                                        "sanne.devries@acme-installatie.example"}
    def plain(subject_part: str) -> str:
        message = next(m for m in texts if subject_part in m["Subject"])
        part = message.get_body(("plain",))
        assert part is not None
        return str(part.get_content())

    body = plain("groep brand")
    assert "Formule: 8 > 1.0 + 3·0.2 = 1.6, minimum 5" in body
    assert "lekkage" in body
    assert "Basislijn: 0.0" in plain("negatieve meldingen")


def test_a_mention_matching_two_queries_of_a_group_counts_once(
        setup: tuple[Engine, Workspace]) -> None:
    engine, ws = setup
    with transaction(engine) as session:
        queries.add_query(session, name="storing", text="storing", group="brand")
    for n in range(6):
        add(engine, NOW - timedelta(minutes=5 + n), f"Storing bij Acme {n}")
        with transaction(engine) as session:
            from sqlmodel import col, select

            mention = session.exec(select(Mention).order_by(col(Mention.id).desc())).first()
            assert mention is not None
            session.add(MentionQuery(mention_id=mention.id or 0, query_name="storing"))
    from smo_cli.db.engine import reading

    with reading(engine) as session:
        spikes = {s.subject: s.current for s in find_spikes(session, ws, NOW)}
    assert spikes["brand"] == 6
