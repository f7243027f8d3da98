"""`smo mentions`: import from other tools, list with filters, search, show."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Run

BRANDWATCH = (
    "Query Id,Full Text,Url,Author,Date,Sentiment,Reach\n"
    '1,"Acme heeft mijn cv-ketel super snel gerepareerd, top!",https://x.com/a/status/1,'
    "@klant1,2026-11-20T10:00:00Z,positive,100\n"
    '2,"Weer een storing bij Acme, niemand neemt op. Belachelijk.",https://x.com/b/status/2,'
    "@klant2,20-11-2026 11:00,negative,50\n"
    '3,"Lekker weer vandaag",https://x.com/c/status/3,@iemand,2026-11-20T12:00:00Z,neutral,5\n'
)


@pytest.fixture
def imported(run: Run, tmp_path: Path) -> Run:
    run("queries", "add", "brand", "acme OR #acme", "-g", "brand")
    path = tmp_path / "brandwatch.csv"
    path.write_text(BRANDWATCH)
    result = run("mentions", "import", str(path), "--map", "Full Text=text", "--source",
                 "brandwatch")
    assert result.exit_code == 0, result.stderr
    assert "3 new" in result.stdout
    return run


def test_import_twice_stores_once(imported: Run, tmp_path: Path) -> None:
    again = imported("mentions", "import", str(tmp_path / "brandwatch.csv"), "--map",
                     "Full Text=text", "--source", "brandwatch")
    assert "0 new, 3 already known" in again.stdout


def test_json_has_the_promised_fields(imported: Run) -> None:
    rows = imported("mentions", "list", "-f", "json").json()
    assert list(rows[0]) == ["id", "source", "external_id", "url", "author", "title", "text",
                             "published_at", "first_seen_at", "lang", "sentiment",
                             "sentiment_score", "queries"]
    by_author = {r["author"]: r for r in rows}
    # "20-11-2026 11:00" has no zone: read as Amsterdam time (the company's), stored as UTC.
    assert by_author["@klant2"]["published_at"] == "2026-11-20T10:00:00+00:00"
    assert by_author["@klant1"]["published_at"] == "2026-11-20T10:00:00+00:00"  # had a Z
    assert by_author["@klant2"]["sentiment"] == "negative"
    assert by_author["@klant1"]["queries"] == ["brand"]
    assert by_author["@iemand"]["queries"] == []


def test_filters_and_search(imported: Run) -> None:
    def authors(*args: str) -> set[str]:
        return {r["author"] for r in imported("mentions", *args, "-f", "json").json()}

    assert authors("list", "--query", "brand") == {"@klant1", "@klant2"}
    assert authors("list", "--group", "brand") == {"@klant1", "@klant2"}
    assert authors("list", "--sentiment", "negative") == {"@klant2"}
    assert authors("list", "--source", "brandwatch", "--lang", "nl") >= {"@klant1"}
    assert authors("search", "storing niemand") == {"@klant2"}
    assert authors("list", "--since", "2099-01-01") == set()


def test_show_one_and_unknown_id(imported: Run) -> None:
    first = imported("mentions", "list", "-f", "json").json()[0]
    shown = imported("mentions", "show", str(first["id"]), "-f", "json").json()
    assert shown["dedup_key"].startswith("url:")
    missing = imported("mentions", "show", "9999")
    assert missing.exit_code == 3


def test_import_needs_a_text_column(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "no-text.csv"
    path.write_text("Url,Author\nhttps://x.example/1,@a\n")
    result = run("mentions", "import", str(path))
    assert result.exit_code == 5
    assert "missing column text" in result.stderr


def test_bad_date_names_the_line_and_imports_nothing(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "dates.jsonl"
    path.write_text('{"text": "Acme ok", "date": "2026-11-20"}\n'
                    '{"text": "Acme nog eens", "date": "gisteren"}\n')
    result = run("mentions", "import", str(path))
    assert result.exit_code == 5
    assert "line 2: 'gisteren' is not a date" in result.stderr
    assert run("mentions", "list", "-f", "json").json() == []


def test_bad_map_option_is_refused(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("text\nAcme\n")
    result = run("mentions", "import", str(path), "--map", "Body=content")
    assert result.exit_code == 5
    assert "is not COLUMN=FIELD" in result.stderr


def test_queries_import_from_yaml_is_idempotent_and_checked(run: Run, tmp_path: Path) -> None:
    example = Path(__file__).resolve().parents[1] / "examples" / "acme" / "queries.yaml"
    assert "5 created" in run("queries", "import", str(example)).stdout
    assert "5 unchanged" in run("queries", "import", str(example)).stdout
    assert run("queries", "exclude").stdout.startswith("vacature*")
    bad = tmp_path / "bad.yaml"
    bad.write_text("queries:\n  - {name: ok, text: acme}\n  - {name: broken, text: 'acme (x'}\n")
    result = run("queries", "import", str(bad))
    assert result.exit_code == 5
    assert "queries[1] (broken)" in result.stderr
    assert [q["name"] for q in run("queries", "list", "-f", "json").json()] == [
        "brand", "storing", "warmtewerk", "ceo", "warmtepomp"]


def test_overlapping_exports_store_each_mention_once(run: Run, tmp_path: Path) -> None:
    week1, week2 = tmp_path / "week1.csv", tmp_path / "week2.csv"
    week1.write_text("Resource Id,Full Text,Url\n1001,Acme is geweldig,https://x.example/1\n")
    week2.write_text("Resource Id,Full Text,Url\n1001,Acme is geweldig,https://x.example/1\n"
                     "1002,Acme weer,https://x.example/2\n")
    run("mentions", "import", str(week1))
    assert "1 new, 1 already known" in run("mentions", "import", str(week2)).stdout


def test_until_a_date_includes_that_day_and_search_is_literal(imported: Run) -> None:
    rows = imported("mentions", "list", "-f", "json").json()
    day = rows[0]["first_seen_at"][:10]
    assert len(imported("mentions", "list", "--until", day, "-f", "json").json()) == len(rows)
    assert imported("mentions", "search", "_", "-f", "json").json() == []
