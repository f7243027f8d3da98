"""The listening run end to end with a scripted source: exactly-once storage, failures, locks."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from smo_cli.config import load_workspace
from smo_cli.db.engine import make_engine, reading, transaction
from smo_cli.db.migrate import ensure_schema
from smo_cli.db.models import ListenRunSource, Mention, Source, Tombstone
from smo_cli.errors import Conflict
from smo_cli.services import queries
from smo_cli.services.listening import run_listen, run_lock
from smo_cli.sources.base import (
    FetchError,
    FetchResult,
    Gone,
    Http,
    Item,
    RateLimited,
    SourceSpec,
    register,
)
from tests.conftest import Run

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


@dataclass
class Script:
    """What the scripted source answers, per source name, one entry per fetch."""

    answers: dict[str, list[FetchResult | Exception]]
    seen_states: list[dict[str, Any]]


SCRIPT = Script({}, [])


class ScriptedSource:
    kind = "scripted"

    async def fetch(self, http: Http, spec: SourceSpec, state: Mapping[str, Any]) -> FetchResult:
        SCRIPT.seen_states.append(dict(state))
        answer = SCRIPT.answers[spec.name].pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


register("scripted", ScriptedSource)


@pytest.fixture
def engine(workspace: Path) -> Iterator[Engine]:
    SCRIPT.answers.clear()
    SCRIPT.seen_states.clear()
    engine = make_engine(load_workspace(workspace).database_url)
    ensure_schema(engine)
    with transaction(engine) as session:
        queries.add_query(session, name="brand", text="acme OR #acme", group="brand")
        queries.set_exclude(session, "vacature*")
    yield engine
    engine.dispose()


def add_source(engine: Engine, name: str, *, keep_all: bool = False) -> None:
    with transaction(engine) as session:
        session.add(Source(name=name, kind="scripted", base_url="https://feeds.example",
                           keep_all=keep_all))


def item(n: int, text: str = "Acme doet het goed", **kwargs: Any) -> Item:
    return Item(text=f"{text} ({n})", external_id=f"urn:post:{n}",
                url=f"https://news.example/{n}", published_at=NOW - timedelta(hours=n), **kwargs)


def listen(engine: Engine, **kwargs: Any) -> Any:
    return run_listen(engine, {}, now=lambda: NOW, every_source=True, **kwargs)


def mentions(engine: Engine) -> list[Mention]:
    with reading(engine) as session:
        return list(session.exec(select(Mention).order_by(col(Mention.id))).all())


def test_each_item_is_stored_once_across_runs_and_sources(engine: Engine) -> None:
    add_source(engine, "a")
    add_source(engine, "b")
    SCRIPT.answers["a"] = [FetchResult([item(1), item(2)], {"etag": "1"}),
                           FetchResult([item(1), item(2), item(3)], {"etag": "2"})]
    SCRIPT.answers["b"] = [FetchResult([item(2)], {}), FetchResult([item(3)], {})]
    first = listen(engine)
    assert first.new == 2
    second = listen(engine)
    assert second.new == 1
    assert [m.external_id for m in mentions(engine)] == ["urn:post:1", "urn:post:2",
                                                         "urn:post:3"]
    assert {"etag": "1"} in SCRIPT.seen_states            # state handed back next time


def test_only_matching_items_are_kept_unless_keep_all(engine: Engine) -> None:
    add_source(engine, "news")
    add_source(engine, "own", keep_all=True)
    SCRIPT.answers["news"] = [FetchResult([item(1), item(2, "Weerbericht"),
                                           item(3, "Acme zoekt monteurs: vacature")], {})]
    SCRIPT.answers["own"] = [FetchResult([item(4, "Een bericht zonder merknaam")], {})]
    summary = listen(engine)
    kept = {m.external_id: m for m in mentions(engine)}
    assert set(kept) == {"urn:post:1", "urn:post:4"}
    news = next(o for o in summary.outcomes if o.name == "news")
    assert (news.fetched, news.new, news.dropped) == (3, 1, 2)


def test_mentions_get_queries_language_and_sentiment(engine: Engine) -> None:
    add_source(engine, "a")
    SCRIPT.answers["a"] = [FetchResult([
        item(1, "Super blij met de nieuwe warmtepomp van Acme, top service!"),
        item(2, "Acme is hopeless, third outage this week and nobody answers the phone",
             lang="en")], {})]
    listen(engine)
    with reading(engine) as session:
        from smo_cli.services.mentions import MentionFilter, list_mentions

        rows = {r["external_id"]: r for r in list_mentions(session, MentionFilter())}
    assert rows["urn:post:1"]["queries"] == ["brand"]
    assert (rows["urn:post:1"]["lang"], rows["urn:post:1"]["sentiment"]) == ("nl", "positive")
    assert (rows["urn:post:2"]["lang"], rows["urn:post:2"]["sentiment"]) == ("en", "negative")


def test_an_edited_post_updates_without_counting_as_new(engine: Engine) -> None:
    add_source(engine, "a")
    SCRIPT.answers["a"] = [FetchResult([item(1)], {}),
                           FetchResult([item(1, "Acme doet het nog beter")], {})]
    listen(engine)
    summary = listen(engine)
    assert (summary.new, summary.outcomes[0].updated) == (0, 1)
    (stored,) = mentions(engine)
    assert stored.text == "Acme doet het nog beter (1)"
    assert stored.updated_at == NOW


def test_tombstoned_items_never_come_back(engine: Engine) -> None:
    add_source(engine, "a")
    with transaction(engine) as session:
        session.add(Tombstone(dedup_key="guid:urn:post:1", reason="erased on request"))
    SCRIPT.answers["a"] = [FetchResult([item(1), item(2)], {})]
    listen(engine)
    assert [m.external_id for m in mentions(engine)] == ["urn:post:2"]


def test_missing_and_future_dates_are_recorded_as_such(engine: Engine) -> None:
    add_source(engine, "a")
    undated = Item(text="Acme zonder datum", external_id="urn:x:1")
    future = Item(text="Acme uit de toekomst", external_id="urn:x:2",
                  published_at=NOW + timedelta(days=30))
    SCRIPT.answers["a"] = [FetchResult([undated, future], {})]
    listen(engine)
    notes = {m.external_id: (m.published_at, m.published_note) for m in mentions(engine)}
    assert notes["urn:x:1"] == (None, "missing")
    assert notes["urn:x:2"] == (NOW + timedelta(days=30), "future")


def test_one_failing_source_never_stops_the_others(engine: Engine) -> None:
    add_source(engine, "bad")
    add_source(engine, "good")
    SCRIPT.answers["bad"] = [FetchError("feeds.example did not answer in time")]
    SCRIPT.answers["good"] = [FetchResult([item(1)], {})]
    summary = listen(engine)
    assert summary.status == "partial"
    assert {o.name: o.outcome for o in summary.outcomes} == {"bad": "error", "good": "ok"}
    assert len(mentions(engine)) == 1


def test_three_failures_suspend_and_enable_clears(engine: Engine, run: Run) -> None:
    add_source(engine, "flaky")
    SCRIPT.answers["flaky"] = [FetchError("HTTP 500")] * 3
    for _ in range(3):
        listen(engine)
    with reading(engine) as session:
        source = session.exec(select(Source)).one()
        assert (source.failures, source.suspended) == (3, True)
    assert run("sources", "list", "-f", "json").json()[0]["status"] == "suspended"
    run("sources", "enable", "flaky")
    assert run("sources", "list", "-f", "json").json()[0]["status"] == "active"


def test_rate_limit_pauses_without_counting_as_failure(engine: Engine) -> None:
    add_source(engine, "busy")
    SCRIPT.answers["busy"] = [RateLimited("feeds.example answered 429", 120.0)]
    summary = listen(engine)
    assert summary.outcomes[0].outcome == "rate_limited"
    assert summary.status == "ok"
    with reading(engine) as session:
        source = session.exec(select(Source)).one()
    assert source.failures == 0
    # Not due again until the pause is over (a cron run 1 minute later skips it).
    later = run_listen(engine, {}, now=lambda: NOW + timedelta(minutes=1))
    assert later.outcomes == []


def test_gone_disables_the_source(engine: Engine) -> None:
    add_source(engine, "old")
    SCRIPT.answers["old"] = [Gone("feeds.example says the address is gone (410)")]
    listen(engine)
    with reading(engine) as session:
        source = session.exec(select(Source)).one()
    assert (source.enabled, source.disabled_reason) == (
        False, "feeds.example says the address is gone (410)")


def test_all_sources_failing_makes_the_run_fail(engine: Engine) -> None:
    add_source(engine, "a")
    SCRIPT.answers["a"] = [FetchError("nope")]
    assert listen(engine).status == "failed"


def test_run_records_are_kept_per_source(engine: Engine, run: Run) -> None:
    add_source(engine, "a")
    SCRIPT.answers["a"] = [FetchResult([item(1)], {})]
    listen(engine)
    with reading(engine) as session:
        (row,) = session.exec(select(ListenRunSource)).all()
    assert (row.source_name, row.outcome, row.new) == ("a", "ok", 1)
    runs = run("listen", "runs", "-f", "json").json()
    assert [(r["status"], r["new"]) for r in runs] == [("ok", 1)]


def test_a_second_run_while_one_holds_the_lock_gives_way(workspace: Path, run: Run) -> None:
    with run_lock(workspace):
        with pytest.raises(Conflict), run_lock(workspace):
            pass
        result = run("listen", "run")
    assert result.exit_code == 0
    assert "Another listen run is going" in result.stderr


def test_two_runs_started_together_store_each_item_once(engine: Engine) -> None:
    add_source(engine, "a")
    SCRIPT.answers["a"] = [FetchResult([item(n) for n in range(50)], {}),
                           FetchResult([item(n) for n in range(50)], {})]
    errors: list[BaseException] = []

    def go() -> None:
        try:
            listen(engine)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=go) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(m.external_id or "" for m in mentions(engine)) == sorted(
        f"urn:post:{n}" for n in range(50))
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA integrity_check").all() == [("ok",)]


def test_a_lang_query_sees_the_detected_language(engine: Engine) -> None:
    with transaction(engine) as session:
        queries.add_query(session, name="dutch-only", text="lang:nl AND warmtepomp", group="other")
    add_source(engine, "a")
    SCRIPT.answers["a"] = [FetchResult([
        item(1, "De warmtepomp die ik vorige maand kocht werkt uitstekend"),
        item(2, "The warmtepomp we bought last month works really well for us")], {})]
    listen(engine)
    from smo_cli.services.mentions import MentionFilter, list_mentions

    with reading(engine) as session:
        rows = list_mentions(session, MentionFilter(query="dutch-only"))
    assert [r["external_id"] for r in rows] == ["urn:post:1"]


def test_the_same_link_shared_with_tracking_parameters_is_one_mention(engine: Engine) -> None:
    add_source(engine, "a")
    add_source(engine, "b")
    SCRIPT.answers["a"] = [FetchResult([Item(
        text="Acme opent vestiging", url="https://news.example/acme?utm_source=rss&id=7")], {})]
    SCRIPT.answers["b"] = [FetchResult([Item(
        text="Acme opent een vestiging", url="https://www.google.com/url?rct=j&url="
        "https%3A%2F%2Fnews.example%2Facme%3Fid%3D7%26utm_medium%3Dalert")], {})]
    listen(engine)
    assert [m.url for m in mentions(engine)] == ["https://news.example/acme?id=7"]


def test_a_failure_while_storing_one_source_leaves_the_others(
        engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    from smo_cli.services import mentions as mentions_service

    real = mentions_service.store_items

    def flaky(session: Any, items: Any, **kwargs: Any) -> Any:
        if kwargs["source_name"] == "a":
            raise RuntimeError("database is locked")
        return real(session, items, **kwargs)

    monkeypatch.setattr(mentions_service, "store_items", flaky)
    add_source(engine, "a")
    add_source(engine, "b")
    SCRIPT.answers["a"] = [FetchResult([item(1)], {})]
    SCRIPT.answers["b"] = [FetchResult([item(2)], {})]
    summary = listen(engine)
    outcomes = {o.name: (o.outcome, o.detail) for o in summary.outcomes}
    assert outcomes["a"] == ("error", "not stored: RuntimeError: database is locked")
    assert outcomes["b"] == ("ok", None)
    assert [m.external_id for m in mentions(engine)] == ["urn:post:2"]


def test_a_run_left_running_by_a_kill_is_marked_killed(engine: Engine, run: Run) -> None:
    from smo_cli.db.models import ListenRun

    with transaction(engine) as session:
        session.add(ListenRun(started_at=NOW - timedelta(hours=1)))
    listen(engine)
    statuses = [r["status"] for r in run("listen", "runs", "-f", "json").json()]
    assert statuses == ["ok", "killed"]


def test_another_source_with_other_words_for_the_same_item_does_not_overwrite_it(
        engine: Engine) -> None:
    add_source(engine, "blog")
    add_source(engine, "aggregator")
    SCRIPT.answers["blog"] = [FetchResult([item(1, "Acme is geweldig")], {})] * 2
    SCRIPT.answers["aggregator"] = [FetchResult([item(1, "Acme is vreselijk")], {})] * 2
    listen(engine)
    second = listen(engine)
    assert all(o.updated == 0 for o in second.outcomes)
    (stored,) = mentions(engine)
    assert stored.updated_at is None


def test_an_edit_recomputes_language_and_sentiment(engine: Engine) -> None:
    add_source(engine, "a")
    SCRIPT.answers["a"] = [
        FetchResult([item(1, "Acme levert super snel, top service, heel blij")], {}),
        FetchResult([item(1, "Acme is terrible, third outage this week, nobody answers",
                          lang="en")], {})]
    listen(engine)
    listen(engine)
    (stored,) = mentions(engine)
    assert (stored.lang, stored.sentiment) == ("en", "negative")


def test_naming_a_disabled_source_says_why_instead_of_fetching(engine: Engine) -> None:
    add_source(engine, "old")
    SCRIPT.answers["old"] = [Gone("feeds.example says the address is gone (410)")]
    listen(engine)
    with pytest.raises(Conflict, match="source old is disabled"):
        run_listen(engine, {}, only="old", now=lambda: NOW)


def test_the_run_summary_lists_the_new_mentions(engine: Engine) -> None:
    add_source(engine, "a")
    SCRIPT.answers["a"] = [FetchResult([item(1), item(2)], {})]
    summary = listen(engine)
    assert sorted(summary.new_mention_ids) == sorted(m.id or 0 for m in mentions(engine))


def test_listen_show_gives_each_sources_outcome(engine: Engine, run: Run) -> None:
    add_source(engine, "bad")
    add_source(engine, "good")
    SCRIPT.answers["bad"] = [FetchError("HTTP 500 Internal Server Error from feeds.example")]
    SCRIPT.answers["good"] = [FetchResult([item(1)], {})]
    summary = listen(engine)
    rows = run("listen", "show", str(summary.run_id), "-f", "json").json()
    assert [(r["source"], r["outcome"], r["new"]) for r in rows] == [("bad", "error", 0),
                                                                   ("good", "ok", 1)]
    assert rows[0]["detail"] == "HTTP 500 Internal Server Error from feeds.example"
    assert run("listen", "show", "999").exit_code == 3
