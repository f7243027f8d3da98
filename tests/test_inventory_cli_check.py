"""`smo inventory check` from the command line against a real local server, and its effect on
`list`, `show` and `gap`."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from pytest_httpserver import HTTPServer

from tests.conftest import Run


def _mastodon_account(last_status_at: str) -> dict[str, object]:
    return {"id": "109302841474513217", "username": "acme", "acct": "acme",
            "display_name": "Acme", "url": "https://example.invalid/@acme",
            "followers_count": 1234, "following_count": 56, "statuses_count": 789,
            "last_status_at": last_status_at, "created_at": "2023-01-05T00:00:00.000Z"}


def test_check_stores_snapshot_shown_by_list_show_and_gap(run: Run, httpserver: HTTPServer) -> None:
    old = (datetime.now(UTC) - timedelta(days=200)).date().isoformat()
    lookup = httpserver.expect_request("/api/v1/accounts/lookup", query_string="acct=acme")
    lookup.respond_with_json(_mastodon_account(old))
    httpserver.expect_request("/gone").respond_with_data("nope", status=404)
    mastodon = run("inventory", "add", httpserver.url_for("/@acme"), "-p", "mastodon",
                   "--custodian", "sanne@acme.nl", "--2fa", "-f", "json").json()
    site = run("inventory", "add", httpserver.url_for("/gone"), "-p", "website", "--custodian",
               "it@acme.nl", "--2fa", "-f", "json").json()

    result = run("inventory", "check", "-f", "json")
    assert result.exit_code == 0, result.stderr
    outcomes = {o["account_id"]: o for o in json.loads(result.stdout)}
    assert all(list(o) == ["account_id", "platform", "handle", "status", "followers", "posts",
                           "last_post_at", "dormant", "detail"] for o in outcomes.values())
    assert outcomes[mastodon["id"]]["status"] == "ok"
    assert outcomes[mastodon["id"]]["followers"] == 1234
    assert outcomes[mastodon["id"]]["dormant"] is True
    assert outcomes[site["id"]]["status"] == "error"
    assert "404" in outcomes[site["id"]]["detail"]
    assert "Checked 2 accounts: 1 answered, 1 failed, 1 dormant." in result.stderr

    listed = {a["id"]: a for a in run("inventory", "list", "-f", "json").json()}
    assert listed[mastodon["id"]]["last_post"].startswith(old)
    shown = run("inventory", "show", str(mastodon["id"]), "-f", "json").json()
    assert shown["followers"] == 1234
    assert shown["check_status"] == "ok"
    gaps = run("inventory", "gap", "-f", "json").json()
    assert sorted((g["account_id"], g["finding"]) for g in gaps) == [
        (mastodon["id"], "dormant"), (site["id"], "check-failed")]


def test_check_one_unknown_account_exits_not_found(run: Run) -> None:
    result = run("inventory", "check", "--account", "42")
    assert result.exit_code == 3
    assert "no account with id 42" in result.stderr


def test_a_failed_check_keeps_what_the_last_answer_said(run: Run, httpserver: HTTPServer) -> None:
    old = (datetime.now(UTC) - timedelta(days=200)).date().isoformat()
    lookup = httpserver.expect_request("/api/v1/accounts/lookup", query_string="acct=acme")
    lookup.respond_with_json(_mastodon_account(old))
    account = run("inventory", "add", httpserver.url_for("/@acme"), "-p", "mastodon",
                  "--custodian", "sanne@acme.nl", "--2fa", "-f", "json").json()
    assert run("inventory", "check").exit_code == 0
    httpserver.clear()
    httpserver.expect_request("/api/v1/accounts/lookup").respond_with_data("down", status=503)

    failed = run("inventory", "check")
    assert failed.exit_code == 6                     # every account failed: the run failed
    assert "Checked 1 account: 0 answered, 1 failed" in failed.stderr

    shown = run("inventory", "show", str(account["id"]), "-f", "json").json()
    assert shown["check_status"] == "unreachable"
    assert (shown["followers"], shown["last_post"][:10]) == (1234, old)
    findings = {g["finding"] for g in run("inventory", "gap", "-f", "json").json()}
    assert findings == {"dormant", "check-failed"}
