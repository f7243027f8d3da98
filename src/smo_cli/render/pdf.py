"""PDF documents from Markdown, through the optional `pdf` extra (fpdf2, pure Python).

The Markdown is parsed as `documents.markdown_to_html` parses it (CommonMark plus tables, raw HTML
disabled), so fetched text such as `<script>` or an escaped `\\*\\*` prints as text and is never
interpreted. The tokens are laid out on A4: headings (also PDF bookmarks), paragraphs, nested
bullet and numbered lists, tables (fpdf2's table API), bold, italic, inline code, code blocks,
quotes, clickable http(s)/mailto links and rules, with "page n of N" in the footer.

Fonts: fpdf2 bundles no TrueType font, so DejaVu Sans and DejaVu Sans Mono are looked up in the
usual system folders (`FONT_DIRS`); with them accents, dashes, curly quotes, € and most symbols
print as written. Without them the core Helvetica and Courier fonts are used in Windows-1252, which
still covers Western accents, em and en dashes, curly quotes, €, the ellipsis and the bullet; any
other character becomes its accent-less compatibility form (ő → o, → becomes ->) or else "?".
With either font a character the font lacks (an emoji) prints as "?" rather than an empty box, and
invisible joiners, variation selectors and skin-tone modifiers are dropped.

With SOURCE_DATE_EPOCH set the creation date comes from it, so the same input gives the same bytes.
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from smo_cli.errors import InvalidData, UsageError

if TYPE_CHECKING:
    from fpdf import FPDF
    from markdown_it.token import Token

# Debian/Ubuntu, Fedora (a folder per family), Arch, Alpine, Homebrew, a user's own fonts.
FONT_DIRS: tuple[Path, ...] = tuple(Path(p).expanduser() for p in (
    "/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu-sans-fonts",
    "/usr/share/fonts/dejavu-sans-mono-fonts", "/usr/share/fonts/TTF", "/usr/share/fonts/dejavu",
    "/opt/homebrew/share/fonts", "~/.local/share/fonts"))
_DEJAVU = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf", "I": "DejaVuSans-Oblique.ttf",
           "BI": "DejaVuSans-BoldOblique.ttf", "mono": "DejaVuSansMono.ttf"}
# Characters without a compatibility decomposition that still have a plain-text spelling.
_SPELLED = {"\u2010": "-", "\u2011": "-", "\u2212": "-", "\u2192": "->", "\u2190": "<-",
            "\u21d2": "=>", "\u2264": "<=", "\u2265": ">=", "\u2260": "!=", "\u2713": "v"}
# Made of characters the cleaner always drops, so document text cannot fake the page count.
_PAGES_ALIAS = "\x00\x00"
_FOOTER = {"nl": "Pagina {page} van {pages}", "en": "Page {page} of {pages}"}
_SIZES = {1: 18.0, 2: 14.0, 3: 12.0}
_BODY, _SMALL, _LINE = 10.5, 9.0, 5.5      # points, points, millimetres
_INDENT, _CELL_PAD = 6.0, 1.2              # millimetres
_LINK_COLOUR = (20, 80, 170)


def markdown_to_pdf(markdown: str, *, title: str, lang: str) -> bytes:
    """An A4 PDF of a Markdown document; `title` and `lang` go into its metadata."""
    try:
        from fpdf import FPDF, ViewerPreferences
    except ImportError:
        raise UsageError("PDF output needs the optional fpdf2 package",
                         hint="pip install 'smo-cli[pdf]'") from None
    from markdown_it import MarkdownIt

    footer = _FOOTER.get(lang.split("-")[0].lower(), "{page} / {pages}")

    class _Document(FPDF):
        sans = "helvetica"

        def footer(self) -> None:
            self.set_y(-12)
            self.set_font(self.sans, "", 8)
            self.set_text_color(110)
            self.cell(0, 5, footer.format(page=self.page_no(), pages=_PAGES_ALIAS), align="C")

    pdf = _Document(format="A4", unit="mm")
    pdf.alias_nb_pages(_PAGES_ALIAS)
    pdf.set_margins(20, 18, 20)
    pdf.set_auto_page_break(True, margin=18)
    pdf.set_title(title)
    pdf.set_lang(lang)
    pdf.set_creator("smo")
    pdf.viewer_preferences = ViewerPreferences(display_doc_title=True)
    created = _source_date()
    if created is not None:
        pdf.set_creation_date(created)
    pdf.sans, mono, clean = _setup_fonts(pdf)
    pdf.add_page()
    tokens = MarkdownIt("commonmark", {"html": False}).enable("table").parse(markdown)
    _Layout(pdf, pdf.sans, mono, clean).run(tokens)
    return bytes(pdf.output())


def _source_date() -> datetime | None:
    # reproducible-builds.org: a malformed value is an error, not a silent "now".
    raw = os.environ.get("SOURCE_DATE_EPOCH", "")
    if not raw:
        return None
    try:
        return datetime.fromtimestamp(int(raw), tz=UTC)
    except (ValueError, OverflowError, OSError):
        raise InvalidData(f"SOURCE_DATE_EPOCH must be seconds since 1970, not {raw!r}") from None


def _setup_fonts(pdf: FPDF) -> tuple[str, str, Callable[[str], str]]:
    """Register the fonts; return the sans and mono family names and the text cleaner for them."""
    from fpdf.fonts import TTFFont

    paths = {key: next((d / name for d in FONT_DIRS if (d / name).is_file()), None)
             for key, name in _DEJAVU.items()}
    if any(path is None for path in paths.values()):
        pdf.core_fonts_encoding = "windows-1252"
        # An unencodable character encodes to nothing when errors are ignored.
        return "helvetica", "courier", _cleaner(lambda c: bool(c.encode("cp1252", "ignore")))
    for key, path in paths.items():
        pdf.add_font("dejavumono" if key == "mono" else "dejavu", key.replace("mono", ""),
                     str(path))
    # Only what every font has, so switching to bold or to code never shows a box.
    glyphs = set.intersection(*(set(font.cmap) for font in pdf.fonts.values()
                                if isinstance(font, TTFFont)))
    return "dejavu", "dejavumono", _cleaner(lambda c: ord(c) in glyphs)


def _cleaner(printable: Callable[[str], bool]) -> Callable[[str], str]:
    cache: dict[str, str] = {}

    def replace(char: str) -> str:
        category = unicodedata.category(char)
        if char == "\n" or (printable(char) and category != "Cc"):
            return char
        if char == "\t":
            return " "
        if category in {"Cc", "Cf", "Mn", "Me"} or "\U0001f3fb" <= char <= "\U0001f3ff":
            return ""
        plain = "".join(c for c in unicodedata.normalize("NFKD", char)
                        if not unicodedata.combining(c))
        for candidate in (_SPELLED.get(char), plain):
            if candidate and candidate != char and all(map(printable, candidate)):
                return candidate
        return "?"

    def clean(text: str) -> str:
        text = unicodedata.normalize("NFC", text)     # e + combining acute -> é, one glyph
        return "".join(cache[c] if c in cache else cache.setdefault(c, replace(c)) for c in text)

    return clean


class _Layout:
    """Walks markdown-it's block tokens once, keeping list, quote and table state."""

    def __init__(self, pdf: FPDF, sans: str, mono: str, clean: Callable[[str], str]) -> None:
        self.pdf, self.sans, self.mono, self.clean = pdf, sans, mono, clean
        self.lists: list[int | None] = []         # next number, or None for a bullet list
        self.heading = 0
        self.table: list[list[tuple[str, str, str | None]]] | None = None
        self.align = "LEFT"
        self.colour = 0                           # grey inside quotes, restored after a link

    def run(self, tokens: Sequence[Token]) -> None:
        self.pdf.set_font(self.sans, "", _BODY)
        for token in tokens:
            handler = getattr(self, "_" + token.type, None)
            if handler is not None:
                handler(token)

    def _indent(self, by: float) -> None:
        self.pdf.set_left_margin(self.pdf.l_margin + by)
        self.pdf.set_x(self.pdf.l_margin)

    def _heading_open(self, token: Token) -> None:
        self.heading = int(token.tag[1:])
        size = _SIZES.get(self.heading, _BODY + 0.5)
        if self.pdf.will_page_break(size * 0.6 + 4 * _LINE):   # keep a heading with its text
            self.pdf.add_page()
        elif self.pdf.y > self.pdf.t_margin + 1:
            self.pdf.ln(size * 0.25)

    def _heading_close(self, _token: Token) -> None:
        self.heading = 0
        self.pdf.ln(2)

    def _paragraph_close(self, token: Token) -> None:
        self.pdf.ln(_LINE)
        if not token.hidden:                      # tight list items have no gap between them
            self.pdf.ln(2)

    def _bullet_list_open(self, token: Token) -> None:      # and the other three list ends
        if token.nesting < 0:
            self.lists.pop()
            self.pdf.ln(0 if self.lists else 2)
        else:
            start = token.attrGet("start")
            self.lists.append(int(start or 1) if token.tag == "ol" else None)

    _ordered_list_open = _bullet_list_close = _ordered_list_close = _bullet_list_open

    def _list_item_open(self, _token: Token) -> None:
        number = self.lists[-1]
        if number is not None:
            self.lists[-1] = number + 1
        self.pdf.set_font(self.sans, "", _BODY)
        self.pdf.set_x(self.pdf.l_margin)
        self.pdf.cell(_INDENT, _LINE, self.clean("\u2022" if number is None else f"{number}."))
        self.pdf.set_left_margin(self.pdf.l_margin + _INDENT)   # wrapped lines align with text

    def _list_item_close(self, _token: Token) -> None:
        self._indent(-_INDENT)

    def _blockquote_open(self, token: Token) -> None:        # and _close: nesting is -1
        self._indent(_INDENT * token.nesting)
        self.colour = 90 if token.nesting > 0 else 0
        self.pdf.set_text_color(self.colour)

    _blockquote_close = _blockquote_open

    def _code_block(self, token: Token) -> None:
        self.pdf.set_font(self.mono, "", _SMALL)
        self.pdf.set_fill_color(242)
        text = self.clean(token.content.expandtabs(4).rstrip("\n"))
        self.pdf.multi_cell(0, _LINE - 1, text, fill=True, padding=(1, 2), align="L")
        self.pdf.ln(2)

    _fence = _code_block

    def _hr(self, _token: Token) -> None:
        y = self.pdf.y + 2
        self.pdf.set_draw_color(160)
        self.pdf.line(self.pdf.l_margin, y, self.pdf.w - self.pdf.r_margin, y)
        self.pdf.set_y(y + 4)

    # Tables: cells are collected, then drawn at once so column widths can follow the content.
    def _table_open(self, _token: Token) -> None:
        self.table = []

    def _tr_open(self, _token: Token) -> None:
        if self.table is not None:
            self.table.append([])

    def _td_open(self, token: Token) -> None:
        style = str(token.attrGet("style") or "")
        self.align = next((a.upper() for a in ("center", "right") if a in style), "LEFT")

    _th_open = _td_open

    def _table_close(self, _token: Token) -> None:
        from fpdf.fonts import FontFace

        rows, self.table = self.table or [], None
        columns = max(map(len, rows), default=0)
        if not columns:
            return
        self.pdf.set_font(self.sans, "", _SMALL)
        # Measured as printed: the core fonts lack characters (sparklines, emoji) that the
        # cleaner replaces, and measuring the raw text would fail on them.
        widths = _column_widths(self.pdf, [[self.clean(text) for text, _, _ in row]
                                           for row in rows], columns)
        heading = FontFace(emphasis="BOLD", fill_color=(235, 235, 235))
        with self.pdf.table(col_widths=widths, width=self.pdf.epw, align="LEFT", text_align="LEFT",
                            line_height=_LINE - 1, padding=_CELL_PAD, headings_style=heading,
                            ) as table:
            for cells in rows:     # markdown-it pads short rows, so every row is `columns` wide
                row = table.row()
                for text, align, link in cells:
                    row.cell(self.clean(text), align=align, link=link)
        self.pdf.ln(3)

    def _inline(self, token: Token) -> None:
        children = token.children or []
        if self.table is not None:             # cells are plain text, clickable if one link
            links = [_clickable(str(c.attrGet("href"))) for c in children if c.type == "link_open"]
            self.table[-1].append((_plain(children), self.align, links[0] if links else None))
        elif self.heading:
            self.pdf.start_section(_plain(children), level=self.heading - 1, strict=False)
            size = _SIZES.get(self.heading, _BODY + 0.5)
            self.pdf.set_font(self.sans, "B", size)
            self.pdf.multi_cell(0, size * 0.5, self.clean(_plain(children)), align="L")
        else:
            self._run(children)

    def _run(self, children: Sequence[Token]) -> None:
        bold = italic = 0
        link: str | None = None
        for child in children:
            kind = child.type
            bold += {"strong_open": 1, "strong_close": -1}.get(kind, 0)
            italic += {"em_open": 1, "em_close": -1}.get(kind, 0)
            if kind in {"link_open", "link_close"}:
                link = _clickable(str(child.attrGet("href"))) if kind == "link_open" else None
            elif kind in {"text", "code_inline", "image", "softbreak", "hardbreak"}:
                self._write(child, ("B" if bold else "") + ("I" if italic else ""), link)

    def _write(self, child: Token, style: str, link: str | None) -> None:
        text = {"softbreak": " ", "hardbreak": "\n"}.get(child.type, child.content)
        if child.type == "code_inline":
            # DejaVu Sans Mono is registered in one style only, so bold code stays regular there.
            self.pdf.set_font(self.mono, style if self.mono == "courier" else "", _BODY - 1)
        else:
            self.pdf.set_font(self.sans, style + ("U" if link else ""), _BODY)
        self.pdf.set_text_color(*(_LINK_COLOUR if link else (self.colour,)))
        self.pdf.write(_LINE, self.clean(text), link=link or "")


def _column_widths(pdf: FPDF, rows: list[list[str]], columns: int) -> list[float]:
    """Like a browser's automatic table layout: each column gets room for its longest word (when
    that is too wide, the widest columns give way first, so short headers never break); the space
    left goes to the columns whose text would otherwise wrap, in proportion to how much."""
    pad = 2 * _CELL_PAD + 0.5
    cols = [[row[i] for row in rows if i < len(row)] for i in range(columns)]
    least = [pad + max((pdf.get_string_width(w) * 1.1 for text in col for w in text.split()),
                       default=0) for col in cols]        # * 1.1: header cells are bold
    whole = [max(low, pad + max(pdf.get_string_width(text) * 1.1 for text in col))
             for low, col in zip(least, cols, strict=True)]
    ordered = sorted(least)
    for i, value in enumerate(ordered):
        rest = pdf.epw - sum(ordered[:i])
        if value * (columns - i) > rest:
            return [min(low, rest / (columns - i)) for low in least]
    spare, wanted = pdf.epw - sum(least), sum(whole) - sum(least)
    share = min(1.0, spare / wanted) if wanted > 0 else 0.0
    return [low + (high - low) * share for low, high in zip(least, whole, strict=True)]


def _plain(children: Sequence[Token]) -> str:
    """The visible text of an inline run (cells and headings are laid out as plain text)."""
    breaks = {"softbreak": " ", "hardbreak": " "}
    return "".join(breaks.get(c.type, c.content) for c in children
                   if c.type in {"text", "code_inline", "image", *breaks})


def _clickable(href: str) -> str | None:
    # markdown-it already refuses javascript: and data:; relative targets mean nothing in a PDF.
    return href if href.lower().startswith(("http://", "https://", "mailto:")) else None
