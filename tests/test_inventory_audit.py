"""The inventory audit document: golden files in both languages, HTML, and inert untrusted text."""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from smo_cli.config import load_workspace
from smo_cli.db.engine import make_engine, reading
from smo_cli.services.inventory_audit import build_audit
from tests.conftest import Run

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "acme"
GOLDEN = Path(__file__).resolve().parent / "golden"
NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def _load_example(run: Run) -> None:
    for args in (("org", "people", "import", str(EXAMPLES / "employees.csv")),
                 ("inventory", "import", str(EXAMPLES / "accounts.csv")),
                 ("inventory", "target", "import", str(EXAMPLES / "targets.csv"))):
        assert run(*args).exit_code == 0


def _audit(workspace: Path, lang: str, fmt: str = "md") -> str:
    ws = load_workspace(workspace)
    engine = make_engine(ws.database_url)
    try:
        with reading(engine) as session:
            return build_audit(session, ws, lang=lang, fmt=fmt, now=NOW)
    finally:
        engine.dispose()


@pytest.mark.parametrize("lang", ["en", "nl"])
def test_audit_matches_golden_file(run: Run, workspace: Path, lang: str) -> None:
    _load_example(run)
    document = _audit(workspace, lang)
    golden = GOLDEN / f"inventory_audit.{lang}.md"
    if os.environ.get("SMO_UPDATE_GOLDEN"):
        golden.write_text(document, encoding="utf-8")
    assert document == golden.read_text(encoding="utf-8")


def test_audit_cli_writes_html_with_every_account(run: Run, tmp_path: Path) -> None:
    _load_example(run)
    out = tmp_path / "audit.html"
    result = run("inventory", "audit", "--lang", "nl", "--format", "html", "--out", str(out))
    assert result.exit_code == 0, result.stderr
    page = out.read_text()
    assert page.startswith("<!doctype html>")
    assert '<html lang="nl">' in page
    assert "<table>" in page
    assert "@werkenbijacme" in page
    assert "nepaccount" in page        # the TikTok impostor, in Dutch
    assert "http" not in page.split("<body>")[0].replace("http-equiv", "")  # no external assets


def test_audit_uses_default_language_from_smo_yaml(run: Run) -> None:
    _load_example(run)
    assert run("inventory", "audit").stdout.startswith("# Audit socialemedia-aanwezigheid")
    assert run("inventory", "audit", "--lang", "en").stdout.startswith(
        "# Social media presence audit")


def test_audit_rejects_unknown_language(run: Run) -> None:
    result = run("inventory", "audit", "--lang", "de")
    assert result.exit_code == 5
    assert "unknown language 'de'" in result.stderr


def test_untrusted_text_stays_inert_in_markdown_and_html(run: Run, workspace: Path,
                                                          tmp_path: Path) -> None:
    people = tmp_path / "people.csv"
    people.write_text('name,email\n"<script>alert(1)</script> [x](javascript:alert(2))",'
                      "evil@acme.nl\n")
    assert run("org", "people", "import", str(people)).exit_code == 0
    run("inventory", "add", "@evil", "-p", "x", "--owner", "evil@acme.nl")
    run("inventory", "target", "set", "x", "--required", "should", "--why",
        "<img src=x onerror=alert(3)> | ** # heading")
    markdown = _audit(workspace, "en")
    assert not re.search(r"(?<!\\)<(script|img)", markdown)  # only escaped forms remain
    assert "\\<script\\>" in markdown
    assert "\\[x\\](javascript:alert(2))" in markdown
    html = _audit(workspace, "en", "html")
    assert "<script" not in html
    assert "<img" not in html
    assert 'href="javascript' not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_workspace_template_overrides_the_builtin_one(run: Run, workspace: Path) -> None:
    (workspace / "templates" / "en").mkdir(parents=True)
    (workspace / "templates" / "en" / "inventory_audit.md.j2").write_text(
        "# Our own audit for {{ organisation.name | md }}: {{ summary.accounts }} accounts\n")
    assert run("inventory", "audit", "--lang", "en").stdout == (
        "# Our own audit for Acme Installatietechniek: 0 accounts\n")


def test_template_with_a_missing_value_names_it(run: Run, workspace: Path) -> None:
    (workspace / "templates" / "en").mkdir(parents=True)
    (workspace / "templates" / "en" / "inventory_audit.md.j2").write_text("{{ no_such_value }}\n")
    result = run("inventory", "audit", "--lang", "en")
    assert result.exit_code == 5
    assert "'no_such_value' is undefined" in result.stderr


def test_workspace_template_cannot_reach_python_internals(run: Run, workspace: Path) -> None:
    (workspace / "templates" / "en").mkdir(parents=True)
    (workspace / "templates" / "en" / "inventory_audit.md.j2").write_text(
        "{{ organisation.__class__.__mro__[1].__subclasses__() }}\n")
    result = run("inventory", "audit", "--lang", "en")
    assert result.exit_code == 5
    assert "__subclasses__" not in result.stdout
