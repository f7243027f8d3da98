"""`smo policy`: init writes answers to complete, check finds what is missing, generate writes the
policy from those answers and what smo knows (golden files in both languages)."""

from __future__ import annotations

import os
import re
from datetime import date
from pathlib import Path

import pytest
import yaml

from smo_cli.config import load_workspace
from smo_cli.db.engine import make_engine, reading
from smo_cli.services.policy import generate_policy
from tests.conftest import Run

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "acme"
GOLDEN = Path(__file__).resolve().parent / "golden"


@pytest.fixture
def acme(run: Run, workspace: Path) -> Run:
    run("org", "people", "import", str(EXAMPLES / "employees.csv"))
    run("inventory", "import", str(EXAMPLES / "accounts.csv"))
    run("queries", "import", str(EXAMPLES / "queries.yaml"))
    (workspace / "rules.yaml").write_text((EXAMPLES / "rules.yaml").read_text())
    (workspace / "policy.yaml").write_text((EXAMPLES / "policy.yaml").read_text())
    return run


def test_init_writes_a_draft_that_check_reads(run: Run, workspace: Path) -> None:
    result = run("policy", "init", "--lang", "nl")
    assert result.exit_code == 0, result.stderr
    answers = yaml.safe_load((workspace / "policy.yaml").read_text())
    assert answers["crisis_contacts"] and answers["review_date"]
    assert run("policy", "init").exit_code == 4                 # not over the officer's answers
    check = run("policy", "check")
    assert check.exit_code == 5                                   # the draft still has a TODO
    assert "crisis_phone: a placeholder is left" in check.stderr


def test_check_names_missing_answers_and_unknown_references(acme: Run, workspace: Path) -> None:
    assert acme("policy", "check").exit_code == 0
    answers = yaml.safe_load((workspace / "policy.yaml").read_text())
    answers["consequences"] = ""
    answers["crisis_contacts"] = ["dept:warehouse"]
    answers["spokespersons"][0]["person"] = "nobody@nowhere.example"
    (workspace / "policy.yaml").write_text(yaml.safe_dump(answers, allow_unicode=True))
    result = acme("policy", "check")
    assert result.exit_code == 5
    assert "policy.yaml: consequences: no answer yet" in result.stderr
    assert "crisis_contacts: unknown department 'warehouse'" in result.stderr
    assert "spokespersons[0].person: nobody@nowhere.example is not in the people list" \
        in result.stderr


def test_an_unknown_key_is_refused_with_file_and_key(acme: Run, workspace: Path) -> None:
    (workspace / "policy.yaml").write_text(
        (workspace / "policy.yaml").read_text() + "tone_of_voice: hello\n")
    result = acme("policy", "generate")
    assert result.exit_code == 5
    assert "policy.yaml: tone_of_voice: unknown key" in result.stderr


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_generated_policy_matches_golden_file(acme: Run, workspace: Path, lang: str) -> None:
    ws = load_workspace(workspace)
    engine = make_engine(ws.database_url)
    try:
        with reading(engine) as session:
            document = generate_policy(session, ws, lang=lang, version="1",
                                       today=date(2026, 11, 27))
    finally:
        engine.dispose()
    assert isinstance(document, str)
    golden = GOLDEN / f"policy.{lang}.md"
    if os.environ.get("SMO_UPDATE_GOLDEN"):
        golden.write_text(document, encoding="utf-8")
    assert document == golden.read_text(encoding="utf-8")


def test_policy_shows_accounts_and_contacts_from_smo(acme: Run) -> None:
    document = acme("policy", "generate", "--lang", "nl").stdout
    assert "company/acme\\-installatie" in document or "company/acme-installatie" in document
    assert "Sanne de Vries" in document
    assert re.search(r"^## ", document, re.MULTILINE)


def test_an_unpublished_policy_says_it_is_a_draft_not_adopted(acme: Run) -> None:
    draft = acme("policy", "generate", "--lang", "nl").stdout
    assert "Concept van" in draft and "vastgesteld op" not in draft
    assert acme("policy", "publish", "--lang", "nl").exit_code == 0
    adopted = acme("policy", "generate", "--lang", "nl").stdout
    assert "Versie 1 — vastgesteld op" in adopted and "Concept" not in adopted
    english = acme("policy", "generate", "--lang", "en").stdout
    assert "Draft of" in english and "adopted on" not in english


def test_html_policy_is_standalone_and_escapes_answers(acme: Run, workspace: Path,
                                                       tmp_path: Path) -> None:
    answers = yaml.safe_load((workspace / "policy.yaml").read_text())
    answers["consequences"] = "<script>alert(1)</script> Bij overtreding volgt een gesprek."
    (workspace / "policy.yaml").write_text(yaml.safe_dump(answers, allow_unicode=True))
    out = tmp_path / "beleid.html"
    assert acme("policy", "generate", "-o", str(out)).exit_code == 0
    page = out.read_text()
    assert page.startswith("<!doctype html>") and "<script>" not in page


def test_publish_stores_versions_and_diff_shows_what_changed(acme: Run, workspace: Path) -> None:
    first = acme("policy", "publish", "--lang", "nl")
    assert first.exit_code == 0, first.stderr
    assert first.stdout.startswith("Published policy version 1 (")
    again = acme("policy", "publish", "--lang", "nl")
    assert again.exit_code == 4 and "nothing changed since version 1" in again.stderr
    answers = yaml.safe_load((workspace / "policy.yaml").read_text())
    answers["crisis_phone"] = "026 765 43 21"
    (workspace / "policy.yaml").write_text(yaml.safe_dump(answers, allow_unicode=True))
    assert acme("policy", "publish", "--lang", "nl").stdout.startswith(
        "Published policy version 2 (")
    versions = acme("policy", "versions", "-f", "json").json()
    assert [(v["number"], v["lang"]) for v in versions] == [(1, "nl"), (2, "nl")]
    assert versions[0]["content_hash"] != versions[1]["content_hash"]
    diff = acme("policy", "diff", "1", "2", "--lang", "nl").stdout
    assert "-" in diff and "+" in diff and "026 765 43 21" in diff
    assert acme("policy", "diff", "1", "9", "--lang", "nl").exit_code == 3


def test_publish_refuses_a_policy_with_problems(acme: Run, workspace: Path) -> None:
    answers = yaml.safe_load((workspace / "policy.yaml").read_text())
    answers["training"] = ""
    (workspace / "policy.yaml").write_text(yaml.safe_dump(answers, allow_unicode=True))
    result = acme("policy", "publish")
    assert result.exit_code == 5
    assert "training: no answer yet" in result.stderr


def test_policy_as_pdf(acme: Run, tmp_path: Path) -> None:
    from pypdf import PdfReader

    out = tmp_path / "beleid.pdf"
    result = acme("policy", "generate", "--lang", "nl", "--out", str(out))
    assert result.exit_code == 0, result.stderr
    reader = PdfReader(out)
    text = "".join(page.extract_text() for page in reader.pages)
    assert "Socialemediabeleid" in text and "Sanne de Vries" in text
    assert reader.metadata is not None and "Acme" in str(reader.metadata.title)
    refused = acme("policy", "generate", "--format", "pdf")
    assert refused.exit_code == 2 and "a PDF needs a file" in refused.stderr
