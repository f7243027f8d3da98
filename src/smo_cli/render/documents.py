"""Documents from Jinja templates: workspace `templates/` first, then the built-in ones.

Every template runs sandboxed with StrictUndefined (a missing value is an error naming it). HTML is
autoescaped; Markdown documents escape untrusted text with the `md` filter and become standalone
HTML through markdown-it with raw HTML disabled, so fetched text stays inert in both.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup

from smo_cli.errors import InvalidData, NotFound
from smo_cli.render.markdown import md_escape


def builtin_templates_dir() -> Path:
    """Templates shipped in the wheel, or the repository's top-level folder in a source checkout."""
    packaged = Path(str(resources.files("smo_cli") / "templates"))
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[3] / "templates"


def yaml_string(value: Any) -> str:
    """A YAML scalar for any string (JSON strings are valid YAML)."""
    return json.dumps("" if value is None else str(value), ensure_ascii=False)


def format_date(value: date | datetime | None, fallback: str = "—") -> str:
    if value is None:
        return fallback
    return value.date().isoformat() if isinstance(value, datetime) else value.isoformat()


def make_environment(workspace_templates: Path | None = None, *, html: bool = False
                     ) -> ImmutableSandboxedEnvironment:
    search = [p for p in (workspace_templates, builtin_templates_dir()) if p and p.is_dir()]
    env = ImmutableSandboxedEnvironment(
        loader=jinja2.FileSystemLoader([str(p) for p in search]),
        undefined=jinja2.StrictUndefined,
        autoescape=html,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["md"] = md_escape
    env.filters["yaml"] = yaml_string
    env.filters["day"] = format_date
    return env


def render(template: str, context: dict[str, Any], *, workspace_templates: Path | None = None,
           html: bool = False) -> str:
    env = make_environment(workspace_templates, html=html)
    try:
        return env.get_template(template).render(**context)
    except jinja2.TemplateNotFound:
        raise NotFound(f"template {template} not found",
                       hint=f"built-in templates live in {builtin_templates_dir()}") from None
    except jinja2.UndefinedError as exc:
        raise InvalidData(f"template {template}: {exc.message}") from None
    except jinja2.TemplateSyntaxError as exc:
        raise InvalidData(f"template {exc.filename or template}:{exc.lineno}: {exc.message}",
                          ) from None
    except jinja2.exceptions.SecurityError as exc:
        raise InvalidData(f"template {template}: not allowed: {exc}") from None


def markdown_to_html(markdown: str, *, title: str, lang: str,
                     workspace_templates: Path | None = None) -> str:
    """A standalone HTML page (inline CSS, no network) from a Markdown document."""
    from markdown_it import MarkdownIt

    body = MarkdownIt("commonmark", {"html": False}).enable("table").render(markdown)
    return render("layout.html.j2", {"title": title, "lang": lang, "body": Markup(body)},
                  workspace_templates=workspace_templates, html=True)


def document_as(markdown: str, fmt: str, *, title: str, lang: str,
                workspace_templates: Path | None = None) -> str | bytes:
    """A Markdown document in the format asked for: Markdown itself, standalone HTML, or PDF
    (through the optional `pdf` extra)."""
    if fmt == "md":
        return markdown
    if fmt == "html":
        return markdown_to_html(markdown, title=title, lang=lang,
                                workspace_templates=workspace_templates)
    if fmt == "pdf":
        from smo_cli.render.pdf import markdown_to_pdf

        return markdown_to_pdf(markdown, title=title, lang=lang)
    raise InvalidData(f"unknown format {fmt!r}", hint="md, html or pdf")
