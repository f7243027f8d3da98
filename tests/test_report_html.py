"""Reports as standalone HTML (inline CSS and SVG, no network, print-friendly) and PDF; mention
text with script, markup, template and javascript: payloads stays inert in every format."""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from markupsafe import Markup
from pypdf import PdfReader

from smo_cli.render.charts import Bar, bar_chart, trend_line
from smo_cli.render.documents import markdown_to_html
from smo_cli.services.reports_data import safe_link
from tests.conftest import Run
from tests.test_report import PERIOD, QUOTED_URL, acme, make

__all__ = ["acme"]   # the fixture, used by name

MENTION_LINKS = {
    "https://vakblad-installatie.example/nieuws/acme-prijs",
    "https://forum.example/t/acme-warmtepomp",
    "https://consumentenforum.example/topic/acme-wachttijd",
    "https://forum.example/t/offerte",
    "https://warmtewerk.example/blog/onderhoud",
    "https://mastodon.example/@klant/1",
    safe_link(QUOTED_URL),
}


class _Tags(HTMLParser):
    """Every element and attribute as a browser's parser sees them (escaped text is text)."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, attrs))


def _assert_inert(page: str) -> None:
    """No script or embedded object, no event handler, nothing fetched, and no link but the
    checked http(s) mention links."""
    parser = _Tags()
    parser.feed(page)
    for tag, attrs in parser.found:
        assert tag not in ("script", "img", "iframe", "object", "embed", "link", "base",
                           "form", "meta" if ("http-equiv", "refresh") in attrs else ""), tag
        for name, value in attrs:
            assert not name.startswith("on"), (tag, name)
            if name in ("src", "href", "xlink:href", "action", "formaction", "srcset", "poster",
                        "background", "style"):
                assert (tag, name) == ("a", "href") and value in MENTION_LINKS, (tag, name)
    assert "@import" not in page and "url(" not in page


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_executive_html_is_standalone_with_charts_and_inert_mentions(
        acme: Run, workspace: Path, lang: str) -> None:
    page = make(workspace, "executive", lang=lang, fmt="html")
    assert page.startswith("<!doctype html>")
    assert f'<html lang="{lang}">' in page
    assert "<style>" in page and "@media print" in page and "size: A4" in page
    assert page.count('<svg class="trend"') == 6                   # one per headline KPI
    assert page.count('<svg class="bars"') == 2                    # share of voice, sentiment
    assert "<polyline" in page and "<rect" in page
    _assert_inert(page)
    # The payloads are there, as text.
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &#34;&gt;&lt;img src=x onerror=alert(1)&gt;" \
        in page
    assert "({{ 7*7 }})" not in page and "{{ 7*7 }}" in page and ">49<" not in page
    assert '<span class="url">(javascript:alert(1))</span>' in page
    # A quote in a URL is percent-encoded: it cannot end the attribute.
    assert 'href="https://evil.example/review%22%3E%3Cscript%3Ealert%282%29%3C/script%3E"' \
        in page


def test_department_html_is_standalone_and_inert(acme: Run, workspace: Path) -> None:
    page = make(workspace, "department", lang="en", fmt="html")
    assert page.startswith("<!doctype html>") and '<svg class="bars"' in page
    assert "<h1>Social media department report — Verkoop</h1>" in page
    _assert_inert(page)
    directie = make(workspace, "department", lang="nl", fmt="html", key="directie")
    _assert_inert(directie)
    assert "&lt;script&gt;" in directie and "{{ 7*7 }}" in directie


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_markdown_keeps_payloads_as_text_and_links_only_http(acme: Run, workspace: Path,
                                                             lang: str) -> None:
    document = make(workspace, "executive", lang=lang)
    assert "\\<script\\>alert(1)\\</script\\> \"\\>\\<img src=x onerror=alert(1)\\>" in document
    assert "(javascript:alert(1))" in document and "](javascript:" not in document
    assert "{{ 7\\*7 }}" in document or "{{ 7*7 }}" in document
    assert "[Review: Acme \\*echt\\* de beste \\[5/5\\]](" \
           "https://evil.example/review%22%3E%3Cscript%3Ealert%282%29%3C/script%3E)" in document
    # As the Markdown viewers that disable raw HTML show it: still inert.
    _assert_inert(markdown_to_html(document, title="report", lang=lang))


def test_pdf_report_from_the_markdown(acme: Run, tmp_path: Path) -> None:
    out = tmp_path / "directie.pdf"
    result = acme("report", "executive", "--period", PERIOD, "--lang", "nl", "-o", str(out))
    assert result.exit_code == 0, result.stderr
    reader = PdfReader(io.BytesIO(out.read_bytes()))
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    assert "Directierapportage sociale media" in text
    assert "<script>alert(1)</script>" in text                      # printed, never run
    assert reader.metadata is not None
    assert reader.metadata.title == "Directierapportage sociale media — Acme " \
                                    "Installatietechniek — 2026-11"


def test_trend_line_is_numbers_with_an_escaped_title() -> None:
    svg = trend_line([1.0, None, 3.0, 4.0, float("nan"), 2.0], label='<b>"x"</b>', target=3.5)
    assert isinstance(svg, Markup)
    assert "<title>&lt;b&gt;&#34;x&#34;&lt;/b&gt;</title>" in svg
    assert svg.count("<polyline") == 1                      # 3 → 4; single points make none
    assert "stroke-dasharray" in svg                        # the target
    assert "nan" not in svg.lower() and "<circle" in svg
    points = re.findall(r'points="([^"]*)"', svg)[0]
    assert re.fullmatch(r"[\d.,\s-]+", points)
    assert "<polyline" not in trend_line([None, None], label="empty")


def test_bar_chart_escapes_labels_and_captions() -> None:
    svg = bar_chart([Bar("<script>", 10, "10 (50%)", "own"), Bar("a&b", 0, "0", "nope")],
                    title="t")
    assert "&lt;script&gt;" in svg and "a&amp;b" in svg and "<script" not in svg
    widths = re.findall(r'<rect [^>]*width="([^"]*)"', svg)
    assert float(widths[0]) > 0 and widths[1] == "0"
    assert bar_chart([], title="none").startswith("<svg")


@pytest.mark.parametrize(("url", "expected"), [
    ("https://example.nl/a?b=1#c", "https://example.nl/a?b=1#c"),
    ("HTTP://Example.nl/x y", "HTTP://Example.nl/x%20y"),
    ("javascript:alert(1)", None), ("JaVaScRiPt:alert(1)", None), (" javascript:x", None),
    ("data:text/html,<script>", None), ("/relative/path", None), ("https://", None),
    ("http://[::1", None), (None, None), ("", None),
    ("https://e.example/a)(b'c<d>", "https://e.example/a%29%28b%27c%3Cd%3E"),
])
def test_safe_link_allows_only_http_and_encodes_what_could_break_out(
        url: str | None, expected: str | None) -> None:
    assert safe_link(url) == expected
