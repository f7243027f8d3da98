"""Reports as documents: the template context (numbers in the reader's language, footnotes with
the formulas, charts) and Markdown, standalone HTML or PDF from it.

Markdown and HTML come from their own templates (`reports/<lang>/<kind>.md.j2` and `.html.j2`):
Markdown is rendered to HTML with raw HTML disabled, so it cannot carry the inline SVG charts.
The HTML template is autoescaped; only the charts, built by `render.charts` from numbers with
escaped labels, enter it as markup. The PDF is made from the Markdown.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from smo_cli.config import Workspace
from smo_cli.render.charts import Bar, bar_chart, trend_line
from smo_cli.render.documents import document_as, render
from smo_cli.render.output import sparkline
from smo_cli.services.kpi import Measurement, Period
from smo_cli.services.metrics import METRICS, format_value
from smo_cli.services.reports import VOICE, DepartmentReport, ExecutiveReport
from smo_cli.services.reports_data import MentionItem, RoutedItem

TITLES = {"executive": {"nl": "Directierapportage sociale media",
                        "en": "Social media executive report"},
          "department": {"nl": "Afdelingsrapportage sociale media",
                         "en": "Social media department report"}}
MONTHS = {"nl": ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
                 "september", "oktober", "november", "december"),
          "en": ("January", "February", "March", "April", "May", "June", "July", "August",
                 "September", "October", "November", "December")}
# Words for the values of enumerations, so a Dutch report never shows "on track" or "lead".
WORDS: dict[str, dict[str, dict[str, str]]] = {
    "nl": {
        "sentiment": {"positive": "positief", "neutral": "neutraal", "negative": "negatief",
                      "none": "geen sentiment"},
        "status": {"met": "gehaald", "on track": "op koers", "behind": "achter",
                   "no target": "geen doel", "no data": "geen gegevens"},
        "type": {"question": "vraag", "complaint": "klacht", "lead": "lead", "press": "pers",
                 "crisis": "crisis", "praise": "compliment", "other": "overig"},
        "priority": {"critical": "kritiek", "high": "hoog", "medium": "middel", "low": "laag"},
        "state": {"new": "nieuw", "assigned": "toegewezen", "responded": "beantwoord",
                  "closed": "gesloten"},
        "group": {"brand": "merk", "product": "product", "person": "persoon",
                  "competitor": "concurrent", "campaign": "campagne", "other": "overig"},
        "voice": {"ours": "wij", "competitors": "concurrenten"},
        "category": {"hours": "uren", "tools": "tools", "advertising": "advertenties",
                     "agency": "bureau", "training": "training", "leads": "leads",
                     "conversions": "conversies", "savings": "besparingen"},
        # The inputs of the measurements (`Measurement.inputs`): any other key is shown as is.
        "input": {"answered": "beantwoord", "within": "op tijd", "counted": "geteld",
                  "needing_answer": "vragen om antwoord", "routed": "doorgestuurd",
                  "people": "mensen", "respondents": "respondenten", "gaps": "verschillen",
                  "mentions": "vermeldingen", "ours": "wij", "competitors": "concurrenten",
                  "accounts": "accounts", "followers_before": "volgers vooraf",
                  "followers_after": "volgers achteraf", "posts": "berichten",
                  "measured": "gemeten", "value": "waarde", "positive": "positief",
                  "neutral": "neutraal", "negative": "negatief", "none": "geen sentiment"},
    },
    "en": {
        "sentiment": {"positive": "positive", "neutral": "neutral", "negative": "negative",
                      "none": "no sentiment"},
        "status": {"met": "met", "on track": "on track", "behind": "behind",
                   "no target": "no target", "no data": "no data"},
        "type": {"question": "question", "complaint": "complaint", "lead": "lead",
                 "press": "press", "crisis": "crisis", "praise": "praise", "other": "other"},
        "priority": {"critical": "critical", "high": "high", "medium": "medium", "low": "low"},
        "state": {"new": "new", "assigned": "assigned", "responded": "responded",
                  "closed": "closed"},
        "group": {"brand": "brand", "product": "product", "person": "person",
                  "competitor": "competitor", "campaign": "campaign", "other": "other"},
        "voice": {"ours": "us", "competitors": "competitors"},
        "category": {},
        "input": {"none": "no sentiment"},
    },
}
ROI_FORMULA = {     # the minus and times signs of print, not a hyphen and an x
    "nl": "(waarde − kosten) ÷ kosten × 100, over de kosten en waarde die in de periode zijn "  # noqa: RUF001
          "vastgelegd (smo kpi cost / value); advertentiewaarde-equivalenten tellen niet als "
          "waarde",
    "en": "(value − cost) ÷ cost × 100, over the costs and value recorded for the period "  # noqa: RUF001
          "(smo kpi cost / value); advertising value equivalents are never counted as value",
}
TIME = "%Y-%m-%d %H:%M"


@dataclass
class Footnotes:
    """Formulas numbered in the order the document first cites them; one number per metric.
    A note may carry what the period's figure was made of (`detail`), which the one-page HTML
    shows at the foot instead of in the tables."""

    notes: list[dict[str, Any]] = field(default_factory=list)
    numbers: dict[str, int] = field(default_factory=dict)

    def cite(self, key: str, name: str, formula: str, detail: str | None = None) -> int:
        if key not in self.numbers:
            self.numbers[key] = len(self.notes) + 1
            self.notes.append({"n": self.numbers[key], "name": name, "formula": formula,
                               "detail": None})
        note = self.notes[self.numbers[key] - 1]
        note["detail"] = note["detail"] or detail or None
        return self.numbers[key]


def period_name(period: Period, lang: str) -> str:
    """"November 2026" / "november 2026", "Q4 2026" / "4e kwartaal 2026", "2026"."""
    if period.kind == "month":
        return f"{MONTHS[lang][period.start.month - 1]} {period.start.year}"
    if period.kind == "quarter":
        quarter = (period.start.month - 1) // 3 + 1
        return f"{quarter}e kwartaal {period.start.year}" if lang == "nl" \
            else f"Q{quarter} {period.start.year}"
    return str(period.start.year)


def period_info(period: Period, lang: str) -> dict[str, str]:
    return {"label": period.label, "name": period_name(period, lang),
            "start": period.start.isoformat(), "end": period.end.isoformat()}


def money(amount: float, lang: str) -> str:
    """€ 1.250 in Dutch, €1,250 in English (cents only when there are any)."""
    text = f"{amount:,.2f}" if round(amount, 2) % 1 else f"{amount:,.0f}"
    if lang == "nl":
        return "€ " + text.translate(str.maketrans(",.", ".,"))
    return ("-€" + text[1:]) if text.startswith("-") else "€" + text


def _name(key: str, lang: str) -> str:
    metric = METRICS.get(key)
    return metric.name(lang) if metric else key


def _inputs(found: Measurement, lang: str) -> str:
    """A measurement's inputs as one line in the reader's language: `answered = 40, ...`."""
    words = WORDS[lang]["input"]
    parts = []
    for key, value in found.inputs.items():
        shown = "—" if value is None else format_value(value, None, lang)
        parts.append(f"{words.get(key, key.replace('_', ' '))} = {shown}")
    return ", ".join(parts)


def _figure(found: Measurement, notes: Footnotes, lang: str, *, shown: bool = False
            ) -> dict[str, Any]:
    """A measurement for the templates; `shown`: its inputs are on the page already (in a
    chart), so its footnote carries only its remark."""
    name = _name(found.key, lang)
    inputs = "; ".join(part for part in (_inputs(found, lang), found.note) if part)
    detail = found.note if shown else inputs
    return {"key": found.key, "name": name, "value": format_value(found.value, found.unit, lang),
            "raw": found.value, "period": found.period.label,
            "note": notes.cite(found.key, name, found.formula, detail), "inputs": inputs}


def _shares(counts: Mapping[str, int], lang: str, kind: str | None = None, *,
            whole: int | None = None) -> list[dict[str, Any]]:
    """Counts with their share of `whole` (default: their sum) and a label in the reader's
    language. Tags and query groups are shares of the items: one item may have several."""
    total = sum(counts.values()) if whole is None else whole
    words = WORDS[lang].get(kind or "", {})
    return [{"key": key, "label": words.get(key, key), "count": count,
             "count_text": format_value(count, "count", lang),
             "share": round(count / total * 100) if total else 0}
            for key, count in counts.items()]


def _bars(shares: Sequence[Mapping[str, Any]], colour: Callable[[str], str]) -> list[Bar]:
    return [Bar(s["label"], s["count"], f"{s['count_text']} ({s['share']}%)", colour(s["key"]))
            for s in shares]


def _mention(item: MentionItem) -> dict[str, Any]:
    """A mention for the templates: every field stays plain text (escaped there)."""
    return {"title": item.title, "snippet": item.snippet, "link": item.link,
            "url_text": item.url_text, "author": item.author, "source": item.source,
            "published": _time(item.published)}


def _routed(items: Sequence[RoutedItem]) -> list[dict[str, Any]]:
    return [{"id": i.id, "type": i.type, "priority": i.priority, "state": i.state,
             "department": i.department, "person": i.person,
             "created": _time(i.created), "due": _time(i.due),
             "overdue": i.overdue, "mention": _mention(i.mention)} for i in items]


def _sentiment_shares(counts: Mapping[str, int], lang: str) -> list[dict[str, Any]]:
    # "No sentiment" is shown only when there are such mentions: usually every one is scored.
    return [s for s in _shares(counts, lang, "sentiment") if s["key"] != "none" or s["count"]]


def _common(lang: str, kind: str, org: str, period: Period, now: datetime,
            notes: Footnotes) -> dict[str, Any]:
    return {"kind": kind, "lang": lang, "title": TITLES[kind][lang], "org": org,
            "period": period_info(period, lang), "previous": period_info(period.previous(), lang),
            "generated": now.strftime(TIME), "words": WORDS[lang], "notes": notes.notes}


def executive_context(report: ExecutiveReport) -> dict[str, Any]:
    lang, notes = report.lang, Footnotes()
    context = _common(lang, "executive", report.org, report.period, report.now, notes)
    kpis = []
    for row in report.kpis:
        charted = row.metric in VOICE           # its inputs are in the charts below
        detail = row.actual.note if charted else "; ".join(
            part for part in (_inputs(row.actual, lang), row.actual.note) if part)
        note = notes.cite(row.metric if row.metric in METRICS else row.key, row.name,
                          row.actual.formula, detail)
        kpis.append({
            "key": row.key, "name": row.name, "note": note, "owner": row.owner,
            "actual": format_value(row.actual.value, row.unit, lang),
            "target": None if row.target is None else format_value(row.target, row.unit, lang),
            "previous": format_value(row.previous.value, row.unit, lang),
            "status": row.status, "spark": sparkline(row.trend, from_zero=False),
            "chart": trend_line(row.trend, target=row.target,
                                label=f"{row.name}: {len(row.trend)} {report.period.kind}s")})
    voice = {key: _figure(found, notes, lang, shown=True) for key, found in report.voice.items()}
    response = [_figure(found, notes, lang) for found in report.response.values()]
    result = report.roi
    roi_note = notes.cite("roi", "ROI", ROI_FORMULA[lang])
    maturity = [_figure(found, notes, lang) for found in report.maturity.values()]
    sentiment = _sentiment_shares(report.sentiment, lang)
    split = _shares(report.voice_split, lang, "voice")
    split[0]["label"] = report.org                      # "ours" is the organisation itself
    monitoring = report.monitoring
    context.update({
        "officer": report.officer, "kpis": kpis, "kpis_from_file": report.kpis_from_file,
        "voice": voice, "sentiment": sentiment, "voice_split": split,
        "sentiment_chart": bar_chart(_bars(sentiment, lambda key: key),
                                     title=f"{TITLES['executive'][lang]}: sentiment"),
        "voice_chart": bar_chart(_bars(split, lambda key: "own" if key == "ours"
                                       else "competitor"),
                                 title=f"{TITLES['executive'][lang]}: share of voice"),
        "response": response, "maturity": maturity,
        "roi": {"note": roi_note, "known": result.roi_percent is not None,
                "percent": format_value(result.roi_percent, "percent", lang),
                "total_cost": money(result.total_cost, lang),
                "total_value": money(result.total_value, lang),
                "costs": _amounts(result.costs, lang), "value": _amounts(result.value, lang)},
        "risks": {"count": report.risk_count, "inbox": _routed(report.risk_items),
                  "alert_count": report.alert_count,
                  "alerts": [{"at": a.at.strftime(TIME), "subject": a.subject}
                             for a in report.alert_items],
                  "negative": [_mention(m) for m in report.negative]},
        "stories": {"praise": report.praise_count,
                    "positive": [_mention(m) for m in report.positive]},
        "practice": [{"day": e.logged_on.isoformat(), "text": e.text, "outcome": e.outcome,
                      "tags": list(e.tags or [])} for e in report.practice],
        "goals": [{"text": g.text, "done": g.done_on.isoformat() if g.done_on else None,
                   "target": g.target_date.isoformat() if g.target_date else None}
                  for g in report.goals],
        "monitoring": {"last": _time(monitoring.last_success), "status": monitoring.status,
                       "stale": monitoring.stale, "failed": _time(monitoring.latest_failed)},
    })
    return context


def department_context(report: DepartmentReport) -> dict[str, Any]:
    lang, notes, routed = report.lang, Footnotes(), report.routed
    context = _common(lang, "department", report.org, report.period, report.now, notes)
    sentiment = _sentiment_shares(routed.sentiment, lang)
    context.update({
        "department": {"key": report.department.key, "name": report.department.name},
        "total": routed.total, "by_type": _shares(routed.by_type, lang, "type"),
        "by_priority": _shares(routed.by_priority, lang, "priority"),
        "by_state": _shares(routed.by_state, lang, "state"),
        "tags": _shares(routed.tags, lang, whole=routed.total),
        "groups": _shares(routed.groups, lang, "group", whole=routed.total),
        "sentiment": sentiment,
        "sentiment_chart": bar_chart(_bars(sentiment, lambda key: key),
                                     title=f"{TITLES['department'][lang]}: sentiment"),
        "open_count": report.open_count, "overdue_count": report.overdue_count,
        "open_items": _routed(report.open_items),
        "response": [_figure(found, notes, lang) for found in report.response.values()],
    })
    return context


def _amounts(sums: Mapping[str, float], lang: str) -> list[dict[str, str]]:
    """The categories with an amount, named in the reader's language."""
    words = WORDS[lang]["category"]
    return [{"category": words.get(key, key), "amount": money(amount, lang)}
            for key, amount in sums.items() if amount]


def _time(moment: datetime | None) -> str | None:
    return moment.strftime(TIME) if moment else None


def report_title(report: ExecutiveReport | DepartmentReport) -> str:
    if isinstance(report, ExecutiveReport):
        return f"{TITLES['executive'][report.lang]} — {report.org} — {report.period.label}"
    return (f"{TITLES['department'][report.lang]} — {report.department.name} — "
            f"{report.period.label}")


def render_report(report: ExecutiveReport | DepartmentReport, workspace: Workspace,
                  fmt: str) -> str | bytes:
    """The report as Markdown, standalone HTML (its own template, with SVG charts) or PDF."""
    kind = "executive" if isinstance(report, ExecutiveReport) else "department"
    context = executive_context(report) if isinstance(report, ExecutiveReport) \
        else department_context(report)
    templates = workspace.templates_dir
    if fmt == "html":
        return render(f"reports/{report.lang}/{kind}.html.j2", context,
                      workspace_templates=templates, html=True)
    markdown = render(f"reports/{report.lang}/{kind}.md.j2", context,
                      workspace_templates=templates)
    return document_as(markdown, fmt, title=report_title(report), lang=report.lang,
                       workspace_templates=templates)


