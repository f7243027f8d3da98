"""PDF documents: the Acme policy read back with a real PDF text extractor, with the system DejaVu
fonts and with the core-font fallback; untrusted text stays text; same bytes with
SOURCE_DATE_EPOCH; a one-line error without fpdf2."""

from __future__ import annotations

import io
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pypdf import PdfReader

from smo_cli.errors import InvalidData, UsageError
from smo_cli.render import pdf as pdf_module
from smo_cli.render.markdown import md_escape
from smo_cli.render.pdf import markdown_to_pdf

POLICY = Path(__file__).resolve().parent / "golden" / "policy.nl.md"
TITLE = "Socialemediabeleid — Acme Installatietechniek"
HAS_DEJAVU = all(any((d / name).is_file() for d in pdf_module.FONT_DIRS)
                 for name in pdf_module._DEJAVU.values())


@pytest.fixture(params=["dejavu", "core"])
def fonts(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each test runs with the system fonts (where installed) and with the core-font fallback."""
    if request.param == "core":
        monkeypatch.setattr(pdf_module, "FONT_DIRS", ())
    elif not HAS_DEJAVU:
        pytest.skip("DejaVu fonts are not installed here")
    return str(request.param)


def read(document: bytes) -> tuple[PdfReader, str]:
    reader = PdfReader(io.BytesIO(document))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return reader, " ".join(text.split())       # extractors differ in spaces and line breaks


def test_the_policy_reads_back_with_headings_tables_accents_and_metadata(fonts: str) -> None:
    document = markdown_to_pdf(POLICY.read_text(encoding="utf-8"), title=TITLE, lang="nl")
    assert document.startswith(b"%PDF-")
    reader, text = read(document)
    assert reader.metadata is not None and reader.metadata.title == TITLE
    assert str(reader.root_object["/Lang"]) == "nl"
    for heading in ("Socialemediabeleid", "Doel en reikwijdte", "Officiële accounts en "
                    "inloggegevens", "Kritiek en crisis", "Evaluatie"):
        assert heading in text
    assert "@werkenbijacme" in text and "Socialemediaverantwoordelijke" in text   # table cells
    assert "beïnvloeden" in text and "privéaccounts" in text
    assert "Crisisnummer, dag en nacht: 026 123 45 67" in text         # bold, markers gone
    assert "**" not in text
    pages = len(reader.pages)
    assert pages > 1 and f"Pagina 1 van {pages}" in text and f"Pagina {pages} van {pages}" in text
    bookmarks = [item.title for item in reader.outline if not isinstance(item, list)]
    assert bookmarks == ["Socialemediabeleid — Acme Installatietechniek"]


def test_unicode_prints_or_degrades_without_crashing(fonts: str) -> None:
    markdown = "Café — “quoted” ‘single’ € 5 … 😀👍🏽 ő → x\n"
    _, text = read(markdown_to_pdf(markdown, title="Ünïcode 😀", lang="en"))
    assert "Café — “quoted” ‘single’ € 5 …" in text                   # in both fonts
    assert "?" in text and "\U0001f3fd" not in text                   # emoji: "?", modifier gone
    assert ("ő → x" if fonts == "dejavu" else "o -> x") in text


def test_table_cells_outside_the_font_print_in_both_fonts(fonts: str) -> None:
    markdown = ("| KPI | Trend | Beheerder |\n|---|---|---|\n"
                "| Volgers | ▁▂▃▅▇ | Łukasz 😀 |\n")
    _, text = read(markdown_to_pdf(markdown, title="Trend", lang="nl"))
    assert "Volgers" in text and "ukasz" in text


def test_untrusted_text_stays_text(fonts: str) -> None:
    markdown = "\n\n".join([
        "# Mentions",
        md_escape("<script>alert(1)</script> **not bold** {nb}"),
        "<script>alert(2)</script>",                          # raw HTML: disabled, so text
        "[site](https://example.com/a) and [bad](javascript:alert(3))",
        "- one\n- two\n\n1. first\n2. second\n\n---\n\n> quoted `code`",
        "| a | b |\n|---|--:|\n| [x](https://example.com/b) | 2 |",
    ])
    reader, text = read(markdown_to_pdf(markdown, title="t", lang="en"))
    assert "<script>alert(1)</script> **not bold** {nb}" in text      # the alias is not faked
    assert "<script>alert(2)</script>" in text
    assert "site and [bad](javascript:alert(3))" in text
    assert "• one • two 1. first 2. second" in text and "quoted code" in text
    uris = [str(annotation.get_object()["/A"]["/URI"])
            for page in reader.pages for annotation in page.get("/Annots", [])]
    assert uris == ["https://example.com/a", "https://example.com/b"]


def test_same_bytes_with_source_date_epoch(monkeypatch: pytest.MonkeyPatch) -> None:
    markdown = POLICY.read_text(encoding="utf-8")
    created = datetime(2026, 11, 27, 9, 30, tzinfo=UTC)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(created.timestamp())))
    first = markdown_to_pdf(markdown, title=TITLE, lang="nl")
    assert markdown_to_pdf(markdown, title=TITLE, lang="nl") == first
    reader, _ = read(first)
    assert reader.metadata is not None
    assert reader.metadata.creation_date == created
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(InvalidData, match="SOURCE_DATE_EPOCH"):
        markdown_to_pdf(markdown, title=TITLE, lang="nl")


def test_without_fpdf2_one_line_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "fpdf", None)       # `import fpdf` now raises ImportError
    with pytest.raises(UsageError) as caught:
        markdown_to_pdf("# Title\n", title="t", lang="en")
    assert caught.value.hint == "pip install 'smo-cli[pdf]'"
    assert "\n" not in str(caught.value) and "fpdf2" in caught.value.message


def test_importing_the_module_does_not_import_fpdf() -> None:
    code = "import sys, smo_cli.render.pdf; print('fpdf' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "False"
