"""`smo privacy export|forget`: GDPR access and erasure for an author (by every handle form the
sources store) and for an employee (by e-mail), leaving everyone else's records whole."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from smo_cli.config import load_workspace
from smo_cli.db.engine import make_engine, reading, transaction
from smo_cli.db.migrate import ensure_schema
from smo_cli.db.models import (
    Account,
    Assignment,
    AssignmentEvent,
    AwarenessCampaign,
    CampaignDelivery,
    Mention,
    OutboxMessage,
    Person,
    PolicyAck,
    Post,
    Survey,
    SurveyResponse,
    Tombstone,
    TrainingCompletion,
)
from smo_cli.services import mentions as store
from smo_cli.services.privacy import author_forms, export_author, forget_author
from smo_cli.sources.base import Item
from tests.conftest import Run
from tests.test_db import _fresh_postgres_database

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
JAN = "@jan@mastodon.social"


class Plain:
    def language(self, text: str, declared: str | None) -> str | None:
        return declared

    def sentiment(self, text: str, lang: str | None) -> tuple[str | None, float | None]:
        return None, None


@pytest.fixture
def engine(workspace: Path) -> Iterator[Engine]:
    engine = make_engine(load_workspace(workspace).database_url)
    yield engine
    engine.dispose()


def add(engine: Engine, items: list[Item], kind: str = "mastodon") -> list[int]:
    with transaction(engine) as session:
        outcome = store.store_items(session, items, source_id=None, source_name=kind, kind=kind,
                                    keep_all=True, match=lambda _i, _s: ["brand"],
                                    classify=Plain(), now=NOW)
    return list(outcome.new_ids)


def post(n: int, author: str) -> Item:
    return Item(text=f"Acme post {n}", external_id=f"https://mastodon.social/statuses/{n}",
                url=f"https://mastodon.social/@x/{n}", author=author)


@pytest.fixture
def stored(engine: Engine) -> dict[str, Any]:
    return make_stored(engine)


def make_stored(engine: Engine) -> dict[str, Any]:
    """Jan wrote two mentions (handles stored in two spellings), Piet one; Jan's first has an
    inbox item with an event, a message and a published reply; an alert quotes Jan."""
    jan = add(engine, [post(1, "@Jan@Mastodon.social"), post(2, JAN)])
    piet = add(engine, [post(3, "@piet@mastodon.social")])
    with transaction(engine) as session:
        item = Assignment(mention_id=jan[0], rule_id="klacht", department="sales")
        other = Assignment(mention_id=piet[0], rule_id="klacht", department="sales")
        session.add_all([item, other])
        session.flush()
        session.add(AssignmentEvent(assignment_id=item.id or 0, action="note",
                                    detail="called back"))
        session.add(OutboxMessage(key="m1", assignment_id=item.id, channel="mail",
                                  delivery="immediate", recipients=["sales@acme.nl"]))
        session.add(OutboxMessage(key="alert1", channel="mail", delivery="alert", payload={
            "subject": "ALERT", "text": f"Top terms: {JAN.upper()}, storing"}))
        session.add(OutboxMessage(key="alert2", channel="mail", delivery="alert", payload={
            "subject": "ALERT", "text": "Top terms: @janneke@mastodon.social"}))
        session.add(Post(text="Sorry Jan, we bellen je.", state="published", reply_to=item.id,
                         reply_url="https://mastodon.social/@x/1"))
    return {"jan": jan, "piet": piet}


@pytest.mark.parametrize("given", [JAN, "jan@mastodon.social", "@JAN@MASTODON.SOCIAL",
                                   "https://mastodon.social/@jan"])
def test_every_spelling_of_a_handle_finds_the_same_forms(given: str) -> None:
    assert author_forms(given) == ["@jan@mastodon.social", "jan@mastodon.social",
                                   "u/jan@mastodon.social"]


def test_handles_of_other_platforms() -> None:
    assert "@jan.bsky.social" in author_forms("https://bsky.app/profile/jan.bsky.social")
    assert "u/jan" in author_forms("https://www.reddit.com/user/jan")
    assert "u/jan" in author_forms("/u/jan")
    assert "pg" in author_forms("https://news.ycombinator.com/user?id=pg")


def test_export_holds_everything_about_the_author(run: Run, stored: dict[str, Any],
                                                  tmp_path: Path) -> None:
    out = tmp_path / "jan.json"
    result = run("privacy", "export", "--author", "https://mastodon.social/@JAN", "-o", str(out))
    assert result.exit_code == 0, result.stderr
    document = json.loads(out.read_text())
    assert document["generated_at"]
    assert document["query"]["author"] == "https://mastodon.social/@JAN"
    assert "@jan@mastodon.social" in document["query"]["matched_forms"]
    assert [m["id"] for m in document["mentions"]] == stored["jan"]
    assert document["mentions"][0]["queries"] == ["brand"]
    [item] = document["inbox_items"]
    assert [e["detail"] for e in item["events"]] == ["called back"]
    assert {m["key"] for m in document["outbox_messages"]} == {"m1", "alert1"}
    assert [p["text"] for p in document["replies"]] == ["Sorry Jan, we bellen je."]
    on_stdout = run("privacy", "export", "--author", JAN).json()
    assert len(on_stdout["mentions"]) == 2


def test_forget_erases_the_author_and_leaves_others_whole(run: Run, engine: Engine,
                                                          stored: dict[str, Any]) -> None:
    result = run("privacy", "forget", "--author", JAN, "--yes", "-f", "json")
    assert result.exit_code == 0, result.stderr
    assert result.json() == {"mentions": 2, "query_links": 2, "inbox_items": 1, "events": 1,
                             "messages": 2, "tombstones": 2, "replies_unlinked": 1}
    after = run("privacy", "export", "--author", JAN).json()
    assert after["mentions"] == after["inbox_items"] == after["outbox_messages"] == []
    assert after["replies"] == []
    with reading(engine) as session:
        left = session.exec(select(Mention)).all()
        keys = set(session.exec(select(col(Tombstone.dedup_key))))
        messages = set(session.exec(select(col(OutboxMessage.key))))
        reply = session.exec(select(Post)).one()
        items = session.exec(select(Assignment)).all()
    assert [m.id for m in left] == stored["piet"]
    assert keys == {"mastodon:https://mastodon.social/statuses/1",
                    "mastodon:https://mastodon.social/statuses/2"}
    assert messages == {"alert2"}                     # @janneke is someone else
    assert (reply.text, reply.reply_to, reply.reply_url) == ("Sorry Jan, we bellen je.", None,
                                                             None)
    assert [i.mention_id for i in items] == stored["piet"]
    # Erased means gone for good: the sources bring the posts again, nothing is stored.
    assert add(engine, [post(1, JAN), post(2, JAN)]) == []


def test_forget_dry_run_changes_nothing(run: Run, engine: Engine, stored: dict[str, Any]) -> None:
    result = run("privacy", "forget", "--author", JAN, "--dry-run")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("Would erase 2 mentions")
    with reading(engine) as session:
        assert len(session.exec(select(Mention)).all()) == 3
        assert session.exec(select(Tombstone)).all() == []


def test_forget_needs_yes_without_a_terminal(run: Run, engine: Engine,
                                             stored: dict[str, Any]) -> None:
    result = run("privacy", "forget", "--author", JAN)
    assert result.exit_code == 2
    assert "--yes" in result.stderr
    with reading(engine) as session:
        assert len(session.exec(select(Mention)).all()) == 3


def test_forget_asks_on_a_terminal(run: Run, engine: Engine, stored: dict[str, Any],
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("smo_cli.cli._options.interactive", lambda: True)
    declined = run("privacy", "forget", "--author", JAN, input="n\n")
    assert "Erase 2 mentions" in declined.stdout
    assert "Nothing erased" in declined.stdout
    accepted = run("privacy", "forget", "--author", JAN, input="y\n")
    assert accepted.exit_code == 0, accepted.stderr
    with reading(engine) as session:
        assert len(session.exec(select(Mention)).all()) == 1


@pytest.mark.parametrize("args", [(), ("--author", JAN, "--email", "jan@acme.nl"),
                                  ("--author", "  @ "), ("--email", "not-an-address")])
def test_bad_input_is_one_line_and_erases_nothing(run: Run, engine: Engine,
                                                  stored: dict[str, Any],
                                                  args: tuple[str, ...]) -> None:
    for command in ("export", "forget"):
        result = run("privacy", command, *args, "--yes") if command == "forget" else \
            run("privacy", command, *args)
        assert result.exit_code in (2, 5), result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
    with reading(engine) as session:
        assert len(session.exec(select(Mention)).all()) == 3


# --- employees, by e-mail -------------------------------------------------------------------

@pytest.fixture
def employee(engine: Engine) -> None:
    """Jan the employee, with his own records and references in others' records; Els too."""
    with transaction(engine) as session:
        session.add_all([
            Person(email="jan@acme.nl", name="Jan", department="sales"),
            Person(email="els@acme.nl", name="Els", manager_email="jan@acme.nl"),
            PolicyAck(email="jan@acme.nl", lang="nl", version=1, acknowledged_on=date(2026, 1, 5),
                      source="cli"),
            PolicyAck(email="els@acme.nl", lang="nl", version=1, acknowledged_on=date(2026, 1, 5),
                      source="cli"),
            TrainingCompletion(course="basis", email="Jan@Acme.nl",
                               completed_on=date(2026, 2, 1)),
            Account(platform="x", handle="@acme_jan", owner="jan@acme.nl"),
            OutboxMessage(key="to-both", channel="mail", delivery="immediate",
                          recipients=["jan@acme.nl", "els@acme.nl"]),
            OutboxMessage(key="to-jan", channel="mail", delivery="immediate",
                          recipients=["jan@acme.nl"]),
            OutboxMessage(key="sent-to-jan", channel="mail", delivery="immediate",
                          recipients=["jan@acme.nl"], state="sent", sent_at=NOW),
        ])
        campaign = AwarenessCampaign(key="kickoff", kind="kickoff", lang="nl", subject="Hoi")
        survey = Survey(key="s1", title="Survey", opened_on=date(2026, 1, 1))
        session.add_all([campaign, survey])
        session.flush()
        session.add_all([
            CampaignDelivery(campaign_id=campaign.id or 0, email="jan@acme.nl"),
            CampaignDelivery(campaign_id=campaign.id or 0, email="els@acme.nl"),
            SurveyResponse(survey_id=survey.id or 0, respondent="jan@acme.nl",
                           submitted_on=date(2026, 1, 2), answers={"q1": 4}),
        ])


def test_export_by_email_holds_the_employees_records(run: Run, employee: None) -> None:
    document = run("privacy", "export", "--email", "JAN@acme.nl").json()
    assert document["query"]["email"] == "jan@acme.nl"
    assert document["person"]["name"] == "Jan"
    assert len(document["policy_acks"]) == 1
    assert len(document["training_completions"]) == 1
    assert len(document["campaign_deliveries"]) == 1
    assert document["survey_responses"][0]["answers"] == {"q1": 4}
    referenced = {(r["table"], r["column"]) for r in document["references"]}
    assert referenced == {("account", "owner"), ("person", "manager_email"),
                          ("outbox_message", "recipients")}


def test_forget_by_email_erases_the_employee_only(run: Run, engine: Engine,
                                                  employee: None) -> None:
    result = run("privacy", "forget", "--email", "jan@acme.nl", "--yes", "-f", "json")
    assert result.exit_code == 0, result.stderr
    counts = result.json()
    assert counts["person"] == counts["policy_acks"] == counts["survey_responses"] == 1
    after = run("privacy", "export", "--email", "jan@acme.nl").json()
    assert after["person"] is None
    assert after["policy_acks"] == after["training_completions"] == []
    assert after["campaign_deliveries"] == after["survey_responses"] == []
    assert after["references"] == []
    with reading(engine) as session:
        els = session.exec(select(Person)).one()
        acks = session.exec(select(PolicyAck)).all()
        messages = {m.key: m.recipients for m in session.exec(select(OutboxMessage))}
        account = session.exec(select(Account)).one()
    assert (els.email, els.manager_email) == ("els@acme.nl", None)
    assert [a.email for a in acks] == ["els@acme.nl"]
    assert messages == {"to-both": ["els@acme.nl"], "sent-to-jan": ["erased"]}
    assert account.owner == "erased"


@pytest.mark.postgres
def test_export_and_forget_on_postgresql() -> None:
    for url in _fresh_postgres_database():
        engine = make_engine(url)
        try:
            ensure_schema(engine)
            stored = make_stored(engine)
            with reading(engine) as session:
                assert [m["id"] for m in export_author(session, JAN)["mentions"]] == stored["jan"]
            with transaction(engine) as session:
                assert forget_author(session, JAN)["mentions"] == 2
            with reading(engine) as session:
                assert export_author(session, JAN)["mentions"] == []
                assert len(session.exec(select(Tombstone)).all()) == 2
            assert add(engine, [post(1, JAN)]) == []
        finally:
            engine.dispose()


def test_a_reply_that_points_at_the_post_by_its_platform_id_is_found_and_unlinked(
        engine: Engine) -> None:
    uri = "at://did:plc:abc/app.bsky.feed.post/3kxyz"
    add(engine, [Item(text="Acme is slecht", external_id=uri,
                      url="https://bsky.app/profile/jan.bsky.social/post/3kxyz",
                      author="@jan.bsky.social")], kind="bluesky")
    with transaction(engine) as session:
        session.add(Post(text="Sorry!", state="published", reply_url=uri))
    with reading(engine) as session:
        exported = export_author(session, "@jan.bsky.social")
    assert [r["reply_url"] for r in exported["replies"]] == [uri]
    with transaction(engine) as session:
        forget_author(session, "@jan.bsky.social", now=NOW)
    with reading(engine) as session:
        assert [p.reply_url for p in session.exec(select(Post))] == [None]
