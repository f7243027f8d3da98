"""`smo awareness campaign|send`: campaigns from templates, sent once to each person over a real
local SMTP server, in Dutch and English; the newsletter's good news with hostile mention text."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import yaml

from smo_cli.db.engine import transaction
from smo_cli.db.models import Assignment, Mention
from tests.conftest import Run, workspace_engine
from tests.smtp_server import Inbox, smtp_server

__all__ = ["smtp_server"]   # the fixture, used by name

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "acme"
HR = ("linda.visser@acme-installatie.example", "sophie.dekker@acme-installatie.example")
MARKETING = ("sanne.devries@acme-installatie.example", "daan.peters@acme-installatie.example",
             "noor.hoekstra@acme-installatie.example")
PEOPLE = 40


@pytest.fixture
def acme(run: Run, workspace: Path) -> Run:
    """Acme's people, accounts and policy answers (nothing published yet)."""
    for args in (("org", "people", "import", str(EXAMPLES / "employees.csv")),
                 ("inventory", "import", str(EXAMPLES / "accounts.csv"))):
        assert run(*args).exit_code == 0
    (workspace / "policy.yaml").write_text((EXAMPLES / "policy.yaml").read_text())
    return run


@pytest.fixture
def mail(acme: Run, workspace: Path, smtp_server: tuple[Inbox, int]) -> Inbox:
    """The workspace's delivery channel is the local SMTP server."""
    inbox, port = smtp_server
    settings = yaml.safe_load((workspace / "smo.yaml").read_text())
    settings["channels"] = [{"name": "mail", "kind": "smtp", "host": "127.0.0.1", "port": port,
                             "security": "none", "from": MARKETING[0]}]
    settings["delivery"] = {"channel": "mail"}
    (workspace / "smo.yaml").write_text(yaml.safe_dump(settings, allow_unicode=True))
    return inbox


def _new(run: Run, key: str, *args: str) -> None:
    result = run("awareness", "campaign", "new", key, *args)
    assert result.exit_code == 0, result.stderr


def _send(run: Run, key: str, *args: str) -> list[str]:
    result = run("awareness", "send", key, "-f", "json", *args)
    assert result.exit_code == 0, result.stderr
    return [row["email"] for row in json.loads(result.stdout)]


def _body(message: EmailMessage, kind: str) -> str:
    part = message.get_body((kind,))
    assert part is not None, f"no {kind} part"
    content: str = part.get_content()
    return content


def _subject(message: EmailMessage) -> str:
    # CPython folds a subject that fits on a line of its own onto the next line, and its
    # parser keeps the fold's space; mail clients drop it.
    return str(message["Subject"]).strip()


def _sent(run: Run, key: str) -> int:
    rows = {r["key"]: r for r in run("awareness", "campaign", "list", "-f", "json").json()}
    count: int = rows[key]["sent"]
    return count


def test_kickoff_reaches_the_local_smtp_server_in_dutch(acme: Run, mail: Inbox) -> None:
    _new(acme, "kickoff-2026", "--kind", "kickoff")
    result = acme("awareness", "send", "kickoff-2026", "--dept", "hr")
    assert result.exit_code == 0, result.stderr
    assert "Sent 2, failed 0" in result.stderr
    messages = {m["To"]: m for m in mail.messages()}
    assert set(messages) == set(HR)
    linda = messages[HR[0]]
    assert _subject(linda) == ("Sociale media bij Acme Installatietechniek: wat het voor jou "
                                "betekent")
    text = _body(linda, "plain")
    assert text.startswith("Beste Linda,")
    assert "Ik ben Sanne de Vries" in text
    assert "Reageer niet zelf" in text
    assert "bel 026 123 45 67 (24/7, storingsdienst)" in text          # who to call
    assert "- Mastodon: @acme@mastodon.social" in text                  # where to find us
    assert "Er komt een socialemediabeleid" in text                     # none published yet
    assert "<strong>Reageer niet zelf</strong>" in _body(linda, "html")
    assert _body(messages[HR[1]], "plain").startswith("Beste Sophie,")


def test_nobody_receives_the_same_campaign_twice(acme: Run, mail: Inbox) -> None:
    _new(acme, "kickoff-2026", "--kind", "kickoff")
    assert len(_send(acme, "kickoff-2026")) == PEOPLE
    assert len(mail.envelopes) == PEOPLE

    again = acme("awareness", "send", "kickoff-2026")
    assert again.exit_code == 0
    assert "Nobody new to send it to." in again.stdout
    assert f"{PEOPLE} people received it before." in again.stderr
    assert len(mail.envelopes) == PEOPLE

    added = acme("org", "people", "add", "eva.janssen@acme-installatie.example",
                 "--name", "Eva Janssen", "--dept", "hr")
    assert added.exit_code == 0, added.stderr
    assert _send(acme, "kickoff-2026") == ["eva.janssen@acme-installatie.example"]
    assert len(mail.envelopes) == PEOPLE + 1
    newest = mail.messages()[-1]
    assert newest["To"] == "eva.janssen@acme-installatie.example"
    assert _body(newest, "plain").startswith("Beste Eva,")
    assert _sent(acme, "kickoff-2026") == PEOPLE + 1


def test_send_to_one_department_then_the_rest(acme: Run, mail: Inbox) -> None:
    _new(acme, "tip-1", "--kind", "tip")
    assert sorted(_send(acme, "tip-1", "--dept", "marketing")) == sorted(MARKETING)
    rest = _send(acme, "tip-1")
    assert len(rest) == PEOPLE - len(MARKETING) and not set(rest) & set(MARKETING)
    assert len(mail.envelopes) == PEOPLE


def test_unknown_department_is_refused(acme: Run, mail: Inbox) -> None:
    _new(acme, "tip-1", "--kind", "tip")
    result = acme("awareness", "send", "tip-1", "--dept", "inkoop")
    assert result.exit_code == 5 and "unknown department 'inkoop'" in result.stderr
    assert mail.envelopes == []


def test_dry_run_stores_and_sends_nothing(acme: Run, mail: Inbox) -> None:
    _new(acme, "kickoff-2026", "--kind", "kickoff")
    result = acme("awareness", "send", "kickoff-2026", "--dry-run", "--dept", "hr", "-f", "json")
    assert result.exit_code == 0, result.stderr
    assert {r["email"] for r in result.json()} == set(HR)
    assert "Dry run: nothing was stored or sent." in result.stderr
    assert mail.envelopes == []
    assert _sent(acme, "kickoff-2026") == 0
    assert acme("outbox", "list", "-f", "json").json() == []
    assert sorted(_send(acme, "kickoff-2026", "--dept", "hr")) == sorted(HR)   # still due


def test_send_without_a_channel_is_a_clear_error(acme: Run, workspace: Path) -> None:
    settings = yaml.safe_load((workspace / "smo.yaml").read_text())
    settings["delivery"] = {}
    (workspace / "smo.yaml").write_text(yaml.safe_dump(settings, allow_unicode=True))
    _new(acme, "kickoff-2026", "--kind", "kickoff")
    result = acme("awareness", "send", "kickoff-2026")
    assert result.exit_code == 5 and "no delivery channel for campaigns" in result.stderr


def test_the_file_channel_writes_one_eml_per_person(acme: Run, workspace: Path) -> None:
    _new(acme, "kickoff-2026", "--kind", "kickoff")
    assert len(_send(acme, "kickoff-2026", "--dept", "hr")) == 2
    written = sorted(p.name for p in (workspace / "outbox").glob("*.eml"))
    assert written == [f"smo-campaign-1-{HR[0].replace('@', '_')}.eml",
                       f"smo-campaign-1-{HR[1].replace('@', '_')}.eml"]


def test_policy_launch_names_the_version_and_how_to_acknowledge(acme: Run, mail: Inbox) -> None:
    _new(acme, "beleid-concept", "--kind", "policy-launch")
    draft = acme("awareness", "campaign", "show", "beleid-concept")
    assert "Het socialemediabeleid van Acme Installatietechniek is klaar." in draft.stdout
    assert acme("policy", "publish", "--lang", "nl").exit_code == 0
    _new(acme, "beleid-v1", "--kind", "policy-launch")
    shown = acme("awareness", "campaign", "show", "beleid-v1", "--person", HR[0])
    assert shown.exit_code == 0, shown.stderr
    assert "Subject: Ons socialemediabeleid is er (versie 1): lees het en bevestig het" \
        in shown.stdout
    assert "Beste Linda," in shown.stdout
    assert "spreken alleen Sanne de Vries en de afdeling Directie" in shown.stdout
    assert 'klik op "Gelezen"' in shown.stdout                  # acknowledgement, policy.yaml
    assert sum(line[:3] in {"1. ", "2. ", "3. ", "4. ", "5. "}
               for line in shown.stdout.splitlines()) == 5      # the policy in five lines
    assert "Preview for Linda Visser" in shown.stderr

    _send(acme, "beleid-v1", "--dept", "hr")
    attachment = next(mail.messages()[0].iter_attachments())
    assert attachment.get_filename() == "socialemediabeleid-v1.html"
    assert "Socialemediabeleid" in attachment.get_content()


def test_tips_take_the_next_unused_one_per_language(acme: Run) -> None:
    def tip_of(key: str) -> str:
        return acme("awareness", "campaign", "show", key).stdout.splitlines()[0]

    _new(acme, "tip-a", "--kind", "tip")
    _new(acme, "tip-b", "--kind", "tip")
    _new(acme, "tip-c", "--kind", "tip", "--tip", "1")          # a repeat, on purpose
    _new(acme, "tip-d", "--kind", "tip")
    _new(acme, "tip-en", "--kind", "tip", "--lang", "en")
    assert tip_of("tip-a") == "Subject: Wist je dat? Tip 1: Eerst vragen, dan pas posten"
    assert tip_of("tip-b").startswith("Subject: Wist je dat? Tip 2:")
    assert tip_of("tip-c").startswith("Subject: Wist je dat? Tip 1:")
    assert tip_of("tip-d").startswith("Subject: Wist je dat? Tip 3:")
    assert tip_of("tip-en") == "Subject: Did you know? Tip 1: Ask first, post later"
    missing = acme("awareness", "campaign", "new", "tip-x", "--kind", "tip", "--tip", "99")
    assert missing.exit_code == 3 and "no tip 99 in 'nl'" in missing.stderr


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_at_least_twelve_numbered_tips_per_language(workspace: Path, lang: str) -> None:
    from smo_cli.config import load_workspace
    from smo_cli.services.awareness_content import load_tips

    tips = load_tips(load_workspace(workspace, {}), lang)
    assert len(tips) >= 12
    assert [t.number for t in tips] == list(range(1, len(tips) + 1))


def test_all_tips_used_is_a_conflict(acme: Run, workspace: Path) -> None:
    own = workspace / "templates" / "awareness" / "nl"
    own.mkdir(parents=True)
    (own / "tips.yaml").write_text("tips:\n  - {number: 1, title: Eigen tip, text: Doe het zo.}\n")
    _new(acme, "tip-a", "--kind", "tip")
    assert "Eigen tip" in acme("awareness", "campaign", "show", "tip-a").stdout
    result = acme("awareness", "campaign", "new", "tip-b", "--kind", "tip")
    assert result.exit_code == 4 and "all 1 tips in 'nl' have been used" in result.stderr


def _mentions(workspace: Path) -> None:
    """November: a positive mention, a hostile positive one, a neutral one routed as praise,
    and a negative one; October: a positive one."""
    engine = workspace_engine(workspace)

    def mention(key: str, text: str, sentiment: str, day: datetime, **extra: Any) -> Mention:
        return Mention(source_name="reviews", dedup_key=key, text=text, sentiment=sentiment,
                       published_at=day, content_hash=key, **extra)

    with transaction(engine) as session:
        praised = mention("m3", "Bedankt Jan voor de snelle reparatie van onze cv-ketel",
                          "neutral", datetime(2026, 11, 6, 9, tzinfo=UTC))
        session.add_all([
            mention("m1", "Super service van Acme: de monteur was op tijd en heel netjes!",
                    "positive", datetime(2026, 11, 3, 10, tzinfo=UTC), author="Petra K.",
                    sentiment_score=0.9, url="https://reviews.example/1"),
            mention("m2", "<script>alert('x')</script> {{ 7*7 }} {% if true %}ja{% endif %}",
                    "positive", datetime(2026, 11, 5, 10, tzinfo=UTC),
                    author="<b>Mallory</b>", sentiment_score=0.2, url="javascript:alert(1)"),
            mention("m4", "Acme kwam niet opdagen", "negative",
                    datetime(2026, 11, 7, 10, tzinfo=UTC)),
            mention("m5", "Mooi werk in oktober", "positive",
                    datetime(2026, 10, 30, 10, tzinfo=UTC)),
            praised])
        session.flush()
        session.add(Assignment(mention_id=praised.id or 0, rule_id="complimenten",
                               type="praise", department="sales"))
    engine.dispose()


def test_newsletter_has_the_months_good_news_and_escapes_hostile_text(
        acme: Run, workspace: Path, mail: Inbox) -> None:
    _mentions(workspace)
    _new(acme, "nieuws-2026-11", "--kind", "newsletter", "--month", "2026-11")
    _send(acme, "nieuws-2026-11", "--dept", "hr")
    message = next(m for m in mail.messages() if m["To"] == HR[0])
    assert _subject(message) == ("Sociale media bij Acme Installatietechniek: de nieuwsbrief "
                                  "van november 2026")
    text = _body(message, "plain")
    assert "zagen we 2 positieve berichten over Acme Installatietechniek, en 1 compliment dat " \
           "we aan een collega hebben doorgestuurd" in text
    assert '"Super service van Acme: de monteur was op tijd en heel netjes!"' in text
    assert "Petra K., reviews, 3 november 2026 — https://reviews.example/1" in text
    assert "Bedankt Jan voor de snelle reparatie" in text
    assert "oktober" not in text and "niet opdagen" not in text     # other month, negative
    # Mention text is data: never evaluated as a template, in either part.
    assert "<script>alert('x')</script> {{ 7*7 }} {% if true %}ja{% endif %}" in text
    assert "49" not in text
    html = _body(message, "html")
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; {{ 7*7 }}" in html
    assert "<script>" not in html and "49" not in html
    assert "&lt;b&gt;Mallory&lt;/b&gt;" in html and "<b>Mallory" not in html
    assert "javascript:" not in html                               # only web links are links
    assert 'href="https://reviews.example/1"' in html


def test_newsletter_without_good_news_asks_for_it(acme: Run) -> None:
    _new(acme, "news-en", "--kind", "newsletter", "--month", "2026-09", "--lang", "en")
    shown = acme("awareness", "campaign", "show", "news-en").stdout
    assert "Subject: Social media at Acme Installatietechniek: the September 2026 newsletter" \
        in shown
    assert "we saw no positive posts about Acme Installatietechniek online" in shown


def test_kickoff_in_english(acme: Run, mail: Inbox) -> None:
    _new(acme, "kickoff-en", "--kind", "kickoff", "--lang", "en")
    _send(acme, "kickoff-en", "--dept", "directie")
    message = mail.messages()[0]
    assert _subject(message) == "Social media at Acme Installatietechniek: what it means for you"
    text = _body(message, "plain")
    assert text.startswith("Dear ")
    assert "Do not respond yourself" in text and "Who to call or e-mail" in text
    assert "Best regards,\r\nSanne de Vries" in text


def test_show_escapes_names_in_html(acme: Run) -> None:
    added = acme("org", "people", "add", "eve@acme-installatie.example",
                 "--name", "<b>Eve</b> Jansen", "--dept", "hr")
    assert added.exit_code == 0, added.stderr
    _new(acme, "tip-1", "--kind", "tip")
    html = acme("awareness", "campaign", "show", "tip-1", "--person",
                "eve@acme-installatie.example", "--html").stdout
    assert "Beste &lt;b&gt;Eve&lt;/b&gt;," in html


@pytest.mark.parametrize(("args", "code", "error"), [
    (("Kick Off", "--kind", "kickoff"), 5, "campaign key 'Kick Off' is not valid"),
    (("k1", "--kind", "kickoff", "--tip", "2"), 2, "--tip goes with --kind tip"),
    (("k1", "--kind", "tip", "--month", "2026-11"), 2, "--month goes with --kind newsletter"),
    (("k1", "--kind", "newsletter", "--month", "2026-13"), 2, "--month '2026-13' is not a month"),
    (("k1", "--kind", "kickoff", "--lang", "de"), 5, "unknown language 'de'"),
])
def test_bad_campaign_options_are_refused(acme: Run, args: tuple[str, ...], code: int,
                                          error: str) -> None:
    result = acme("awareness", "campaign", "new", *args)
    assert result.exit_code == code and error in result.stderr
    assert acme("awareness", "campaign", "list", "-f", "json").json() == []


def test_a_key_is_used_once_and_unknown_keys_are_not_found(acme: Run) -> None:
    _new(acme, "k1", "--kind", "kickoff")
    again = acme("awareness", "campaign", "new", "k1", "--kind", "tip")
    assert again.exit_code == 4 and "campaign 'k1' already exists" in again.stderr
    assert acme("awareness", "send", "nope").exit_code == 3
    assert acme("awareness", "campaign", "show", "nope").exit_code == 3


def test_policy_launch_needs_policy_answers(run: Run) -> None:
    result = run("awareness", "campaign", "new", "beleid", "--kind", "policy-launch")
    assert result.exit_code == 3 and "no policy.yaml" in result.stderr


def test_show_without_people_uses_a_sample_colleague(run: Run) -> None:
    _new(run, "k1", "--kind", "kickoff", "--lang", "en")
    shown = run("awareness", "campaign", "show", "k1")
    assert "Dear Sam," in shown.stdout and "Preview for Sam Example" in shown.stderr


def test_a_workspace_template_overrides_and_a_mistake_shows_in_a_dry_run(
        acme: Run, workspace: Path, mail: Inbox) -> None:
    own = workspace / "templates" / "awareness" / "nl"
    own.mkdir(parents=True)
    (own / "kickoff.txt.j2").write_text("Hoi {{ first_name }}, {{ welkom }}\n", encoding="utf-8")
    _new(acme, "kickoff-2026", "--kind", "kickoff")
    result = acme("awareness", "send", "kickoff-2026", "--dry-run")
    assert result.exit_code == 5
    assert "template awareness/nl/kickoff.txt.j2: 'welkom' is undefined" in result.stderr
    (own / "kickoff.txt.j2").write_text("Hoi {{ first_name }}, welkom!\n", encoding="utf-8")
    _send(acme, "kickoff-2026", "--dept", "hr")
    assert {_body(m, "plain").strip() for m in mail.messages()} == {"Hoi Linda, welkom!",
                                                                   "Hoi Sophie, welkom!"}
