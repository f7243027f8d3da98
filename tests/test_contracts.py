"""The JSON keys of every list command, pinned: scripts built on them must not break silently."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Run

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "acme"

CONTRACTS: dict[tuple[str, ...], list[str]] = {
    ("org", "departments"): ["key", "name", "head", "email", "people"],
    ("org", "people", "list"): ["email", "name", "department", "role", "manager_email"],
    ("inventory", "list"): ["id", "platform", "handle", "owner", "kind", "custodian",
                            "two_factor", "last_post", "url"],
    ("inventory", "target", "list"): ["platform", "owner", "required", "why"],
    ("inventory", "gap"): ["severity", "scope", "platform", "finding", "account", "account_id",
                           "detail"],
    ("sources", "list"): ["name", "kind", "follows", "status", "every_minutes", "failures",
                          "last_success_at", "last_error"],
    ("queries", "list"): ["name", "group", "text"],
    ("mentions", "list"): ["id", "source", "external_id", "url", "author", "title", "text",
                           "published_at", "first_seen_at", "lang", "sentiment",
                           "sentiment_score", "queries"],
    ("listen", "runs"): ["id", "started_at", "finished_at", "status", "new", "errors"],
    ("inbox", "list"): ["id", "mention_id", "state", "type", "priority", "department", "person",
                        "sla_due_at", "overdue", "rule_id", "title"],
}


@pytest.fixture
def example(run: Run, tmp_path: Path) -> Run:
    mentions = tmp_path / "mentions.jsonl"
    mentions.write_text('{"text": "Acme opent een vestiging", "url": "https://n.example/1"}\n')
    for args in (("org", "people", "import", str(EXAMPLES / "employees.csv")),
                 ("inventory", "import", str(EXAMPLES / "accounts.csv")),
                 ("inventory", "target", "import", str(EXAMPLES / "targets.csv")),
                 ("queries", "import", str(EXAMPLES / "queries.yaml")),
                 ("sources", "add", "hackernews", "--query", "acme", "--name", "hn"),
                 ("sources", "disable", "hn"),            # the run below fetches nothing
                 ("mentions", "import", str(mentions)),
                 ("listen", "run")):
        result = run(*args)
        assert result.exit_code == 0, result.stderr
    return run


@pytest.mark.parametrize("command", list(CONTRACTS), ids=" ".join)
def test_json_keys_of_list_commands_are_stable(example: Run, command: tuple[str, ...]) -> None:
    rows = example(*command, "-f", "json").json()
    assert rows, f"smo {' '.join(command)} returned no rows for the example"
    assert all(list(row) == CONTRACTS[command] for row in rows)


@pytest.mark.parametrize("command", list(CONTRACTS), ids=" ".join)
def test_csv_header_matches_the_json_keys(example: Run, command: tuple[str, ...]) -> None:
    header = example(*command, "-f", "csv").stdout.splitlines()[0]
    assert header.split(",") == CONTRACTS[command]


def test_check_with_no_accounts_prints_an_empty_array(run: Run) -> None:
    assert run("inventory", "check", "-f", "json").stdout.strip() == "[]"
