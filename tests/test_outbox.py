"""The outbox: messages queued with routing, sent through a channel once, retried or failed."""

from __future__ import annotations

import email
import shutil
from email import policy
from pathlib import Path

import pytest
import yaml
from pytest_httpserver import HTTPServer

from tests.conftest import Run

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "acme"


@pytest.fixture
def routed(run: Run, workspace: Path, tmp_path: Path) -> Run:
    shutil.copy(EXAMPLES / "rules.yaml", workspace / "rules.yaml")
    run("org", "people", "import", str(EXAMPLES / "employees.csv"))
    run("queries", "import", str(EXAMPLES / "queries.yaml"))
    export = tmp_path / "export.jsonl"
    export.write_text(
        '{"text": "Al drie dagen storing bij Acme, de warmtepomp werkt niet <script>x()</script>",'
        ' "url": "https://x.example/1", "title": "Storing bij Acme"}\n'
        '{"text": "Top service van Acme, heel blij met de monteur!", "url": "https://x.example/3"}\n'
        '{"text": "Heel tevreden over Acme, snelle installatie", "url": "https://x.example/4"}\n')
    run("mentions", "import", str(export), "--source", "export")
    assert run("listen", "route").exit_code == 0
    return run


def test_routing_queues_immediate_and_digest_messages(routed: Run) -> None:
    rows = routed("outbox", "list", "-f", "json").json()
    by_delivery = sorted((r["delivery"], r["recipients"][0]) for r in rows)
    assert by_delivery == [("digest", "marketing@acme-installatie.example"),
                           ("digest", "marketing@acme-installatie.example"),
                           ("immediate", "it@acme-installatie.example")]
    assert {r["state"] for r in rows} == {"pending"}


def test_send_delivers_immediate_once_and_digests_grouped(routed: Run, workspace: Path) -> None:
    first = routed("outbox", "send")
    assert "Sent 1, failed 0" in first.stderr
    eml = next((workspace / "outbox").glob("*.eml"))
    message = email.message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert message["To"] == "it@acme-installatie.example"
    assert message["Message-ID"].startswith("<smo-")
    html = message.get_body(("html",))
    assert html is not None and "<script>" not in html.get_content()
    assert "Sent 0, failed 0" in routed("outbox", "send").stderr          # nothing twice
    preview = routed("outbox", "send", "--digests", "--dry-run", "-f", "json").json()
    assert [(p["to"], p["messages"]) for p in preview] == [
        ("marketing@acme-installatie.example", 2)]
    assert "Sent 2" in routed("outbox", "send", "--digests").stderr
    assert len(list((workspace / "outbox").glob("*.eml"))) == 2
    assert {r["state"] for r in routed("outbox", "list", "-f", "json").json()} == {"sent"}


def _webhook_channel(workspace: Path, url: str) -> None:
    config = yaml.safe_load((workspace / "smo.yaml").read_text())
    config["channels"].append({"name": "hook", "kind": "webhook", "url_env": "SMO_TEST_HOOK"})
    config["delivery"]["channel"] = "hook"
    (workspace / "smo.yaml").write_text(yaml.safe_dump(config))


def test_a_refused_hook_fails_permanently_and_retry_queues_it(
        run: Run, workspace: Path, tmp_path: Path, httpserver: HTTPServer) -> None:
    _webhook_channel(workspace, httpserver.url_for("/hook"))
    httpserver.expect_request("/hook", method="POST").respond_with_data("no", status=404)
    export = tmp_path / "one.jsonl"
    export.write_text('{"text": "Acme", "url": "https://x.example/9"}\n')
    run("mentions", "import", str(export))
    run("listen", "route")
    env = {"SMO_TEST_HOOK": httpserver.url_for("/hook")}
    result = run("outbox", "send", "--digests", env=env)
    assert result.exit_code == 6
    (row,) = run("outbox", "list", "-f", "json").json()
    assert row["state"] == "failed"
    assert httpserver.url_for("/hook") not in (row["last_error"] or "")
    assert run("outbox", "retry", str(row["id"])).exit_code == 0
    assert run("outbox", "list", "-f", "json").json()[0]["state"] == "pending"


def test_a_busy_hook_is_retried_later(run: Run, workspace: Path, tmp_path: Path,
                                      httpserver: HTTPServer) -> None:
    _webhook_channel(workspace, httpserver.url_for("/hook"))
    httpserver.expect_request("/hook", method="POST").respond_with_data("busy", status=503)
    export = tmp_path / "one.jsonl"
    export.write_text('{"text": "Acme", "url": "https://x.example/9"}\n')
    run("mentions", "import", str(export))
    run("listen", "route")
    run("outbox", "send", "--digests", env={"SMO_TEST_HOOK": httpserver.url_for("/hook")})
    (row,) = run("outbox", "list", "-f", "json").json()
    assert (row["state"], row["attempts"]) == ("pending", 1)
    assert row["next_attempt_at"] is not None


def test_a_crash_between_sending_and_marking_resends_with_the_same_message_id(
        routed: Run, workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from smo_cli.services import outbox

    real_mark = outbox._mark

    def crash(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt          # the process dies right after the send

    monkeypatch.setattr(outbox, "_mark", crash)
    assert routed("outbox", "send").exit_code == 130
    (first,) = list((workspace / "outbox").glob("*.eml"))
    message_id = email.message_from_bytes(first.read_bytes(), policy=policy.default)["Message-ID"]
    monkeypatch.setattr(outbox, "_mark", real_mark)
    assert "Sent 1" in routed("outbox", "send").stderr          # sent again, once more
    (again,) = list((workspace / "outbox").glob("*.eml"))     # same key: same file, same id
    resent = email.message_from_bytes(again.read_bytes(), policy=policy.default)
    assert resent["Message-ID"] == message_id
    assert "Sent 0" in routed("outbox", "send").stderr


def test_digests_go_once_a_day_from_the_configured_time(routed: Run, workspace: Path) -> None:
    from datetime import UTC, datetime

    from smo_cli.config import load_workspace
    from smo_cli.db.engine import make_engine
    from smo_cli.services.outbox import deliver

    config = yaml.safe_load((workspace / "smo.yaml").read_text())
    config["delivery"]["digest_at"] = "08:00"
    (workspace / "smo.yaml").write_text(yaml.safe_dump(config))
    ws = load_workspace(workspace)
    engine = make_engine(ws.database_url)
    try:
        # A summer day (Amsterdam is UTC+2): 05:30 UTC is 07:30 local, before 08:00.
        def at(hour: int, minute: int) -> datetime:
            return datetime(2099, 6, 1, hour, minute, tzinfo=UTC)

        early = deliver(engine, ws, {}, digests=False, now=at(5, 30))
        assert (early.sent, early.retrying) == (1, 0)              # only the immediate one
        assert deliver(engine, ws, {}, digests=False, now=at(6, 5)).sent == 2   # the digest
        assert deliver(engine, ws, {}, digests=False, now=at(9, 0)).sent == 0   # once a day
    finally:
        engine.dispose()


def test_listen_run_dry_run_routes_but_sends_nothing(run: Run, workspace: Path,
                                                     tmp_path: Path) -> None:
    shutil.copy(EXAMPLES / "rules.yaml", workspace / "rules.yaml")
    run("queries", "import", str(EXAMPLES / "queries.yaml"))
    export = tmp_path / "one.jsonl"
    export.write_text('{"text": "Storing bij Acme, de warmtepomp werkt niet", '
                      '"url": "https://x.example/1"}\n')
    run("mentions", "import", str(export))
    result = run("listen", "run", "--dry-run")
    assert result.exit_code == 0
    assert "would send to it@acme-installatie.example via files" in result.stderr
    assert not (workspace / "outbox").exists()
    assert {r["state"] for r in run("outbox", "list", "-f", "json").json()} == {"pending"}


def test_inbox_actions_print_the_item_as_json(routed: Run) -> None:
    item = routed("inbox", "list", "-f", "json").json()[0]
    shown = routed("inbox", "note", str(item["id"]), "Gebeld", "-f", "json").json()
    assert shown["id"] == item["id"] and shown["history"][-1].endswith("note: Gebeld")


def test_a_hook_answering_429_then_200_gets_the_message_once(
        run: Run, workspace: Path, tmp_path: Path, httpserver: HTTPServer) -> None:
    from datetime import UTC, datetime, timedelta

    from smo_cli.config import load_workspace
    from smo_cli.db.engine import make_engine
    from smo_cli.services.outbox import deliver

    _webhook_channel(workspace, httpserver.url_for("/hook"))
    export = tmp_path / "one.jsonl"
    export.write_text('{"text": "Acme", "url": "https://x.example/9"}\n')
    run("mentions", "import", str(export))
    run("listen", "route")
    httpserver.expect_ordered_request("/hook", method="POST").respond_with_data(
        "slow down", status=429, headers={"Retry-After": "60"})
    httpserver.expect_ordered_request("/hook", method="POST").respond_with_data("ok")
    ws = load_workspace(workspace)
    env = {"SMO_TEST_HOOK": httpserver.url_for("/hook")}
    engine = make_engine(ws.database_url)
    try:
        now = datetime.now(UTC)
        assert deliver(engine, ws, env, now=now).retrying == 1
        assert deliver(engine, ws, env, now=now + timedelta(seconds=30)).sent == 0   # not yet
        assert deliver(engine, ws, env, now=now + timedelta(minutes=5)).sent == 1
        assert deliver(engine, ws, env, now=now + timedelta(minutes=10)).sent == 0
    finally:
        engine.dispose()
    keys = {request.headers["Idempotency-Key"] for request, _ in httpserver.log}
    assert len(httpserver.log) == 2 and len(keys) == 1      # the same message both times


def test_a_digest_resent_after_a_crash_is_the_same_message(
        routed: Run, workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from smo_cli.services import outbox

    routed("outbox", "send")                                    # the immediate one
    real_mark = outbox._mark

    def crash(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(outbox, "_mark", crash)
    assert routed("outbox", "send", "--digests").exit_code == 130
    (digest,) = (workspace / "outbox").glob("smo-digest-*.eml")
    monkeypatch.setattr(outbox, "_mark", real_mark)
    more = tmp_path / "more.jsonl"                              # a new digest item arrives
    more.write_text('{"text": "Weer top service van Acme, heel blij!", "url": "https://x.example/7"}\n')
    routed("mentions", "import", str(more), "--source", "export")
    routed("listen", "route")
    assert "Sent 3" in routed("outbox", "send", "--digests").stderr
    digests = sorted(p.name for p in (workspace / "outbox").glob("smo-digest-*.eml"))
    assert len(digests) == 2 and digest.name in digests        # the old one again, a new one


def test_assign_checks_the_new_owner(routed: Run) -> None:
    item = str(routed("inbox", "list", "-f", "json").json()[0]["id"])
    unknown = routed("inbox", "assign", item, "--dept", "nosuchdept")
    assert unknown.exit_code == 5 and "unknown department" in unknown.stderr
    stranger = routed("inbox", "assign", item, "--to", "nobody@nowhere.example")
    assert stranger.exit_code == 5 and "not in the people list" in stranger.stderr
    moved = routed("inbox", "assign", item, "--dept", "sales", "-f", "json").json()
    assert (moved["department"], moved["person"], moved["state"]) == ("sales", None, "new")
