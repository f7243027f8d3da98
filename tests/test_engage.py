"""`smo engage`: accounts, writing, checking, scheduling and publishing posts from the command
line, against a local Mastodon and Bluesky."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from pytest_httpserver import HTTPServer
from sqlalchemy import MetaData
from sqlmodel import col, select

from smo_cli.db.engine import reading
from smo_cli.db.models import Post, PostDelivery
from tests.conftest import Outcome, Run, workspace_engine
from tests.test_publish_servers import (
    BLUESKY_PASSWORD,
    MASTODON_TOKEN,
    PNG,
    SECRETS,
    FakeBluesky,
    FakeMastodon,
    engage_config,
)

FUTURE = "2030-12-02 09:30"                 # a Monday, winter time: 08:30 UTC


@pytest.fixture
def smo(run: Run, workspace: Path, httpserver: HTTPServer) -> Run:
    """`smo` in a workspace whose smo.yaml has both accounts on the local server, with their
    secrets in the environment."""
    engage_config(workspace, httpserver)

    def invoke(*args: str, env: dict[str, str] | None = None) -> Outcome:
        return run(*args, env=SECRETS if env is None else env)
    return invoke


@pytest.fixture
def fakes(httpserver: HTTPServer) -> tuple[FakeMastodon, FakeBluesky]:
    return FakeMastodon(httpserver), FakeBluesky(httpserver)


def posts(workspace: Path) -> list[Post]:
    engine = workspace_engine(workspace)
    try:
        with reading(engine) as session:
            return list(session.exec(select(Post).order_by(col(Post.id))))
    finally:
        engine.dispose()


def deliveries(workspace: Path) -> list[PostDelivery]:
    engine = workspace_engine(workspace)
    try:
        with reading(engine) as session:
            return list(session.exec(select(PostDelivery)))
    finally:
        engine.dispose()


def ok(outcome: Outcome) -> Outcome:
    assert outcome.exit_code == 0, outcome.stderr
    return outcome


# --- accounts -------------------------------------------------------------------------------------

def test_accounts_list_names_the_variable_never_the_secret(smo: Run) -> None:
    rows = ok(smo("engage", "accounts", "list", "-f", "json")).json()
    assert [(r["name"], r["platform"], r["secret"], r["secret_set"]) for r in rows] == [
        ("acme-mastodon", "mastodon", "ACME_MASTODON_TOKEN", True),
        ("acme-bluesky", "bluesky", "ACME_BLUESKY_PASSWORD", True)]
    unset = smo("engage", "accounts", "list", "-f", "json", env={}).json()
    assert [r["secret_set"] for r in unset] == [False, False]


def test_accounts_check_signs_in_with_each_account(
        smo: Run, fakes: tuple[FakeMastodon, FakeBluesky]) -> None:
    rows = ok(smo("engage", "accounts", "check", "-f", "json")).json()
    assert [(r["account"], r["ok"], r["signed_in_as"]) for r in rows] == [
        ("acme-mastodon", True, "@acme@localhost"), ("acme-bluesky", True, "@acme.test")]


def test_a_refused_account_check_exits_non_zero_without_printing_secrets(
        smo: Run, fakes: tuple[FakeMastodon, FakeBluesky]) -> None:
    result = smo("engage", "accounts", "check", "-f", "json",
                 env={"ACME_MASTODON_TOKEN": MASTODON_TOKEN,
                      "ACME_BLUESKY_PASSWORD": "not-the-app-password"})
    assert result.exit_code == 6
    rows = {r["account"]: r for r in result.json()}
    assert rows["acme-mastodon"]["ok"] and not rows["acme-bluesky"]["ok"]
    assert "Invalid identifier or password" in rows["acme-bluesky"]["detail"]
    assert "ACME_BLUESKY_PASSWORD" in rows["acme-bluesky"]["detail"]
    assert "Not signed in: acme-bluesky." in result.stderr
    for secret in (MASTODON_TOKEN, "not-the-app-password"):
        assert secret not in result.stdout + result.stderr


def test_no_accounts_in_smo_yaml_is_explained(run: Run, workspace: Path) -> None:
    settings = yaml.safe_load((workspace / "smo.yaml").read_text(encoding="utf-8"))
    settings.pop("engage", None)
    (workspace / "smo.yaml").write_text(yaml.safe_dump(settings), encoding="utf-8")
    assert run("engage", "accounts", "list").stdout.startswith("No posting accounts")
    result = run("engage", "post", "Hallo", "--to", "mastodon")
    assert result.exit_code == 5
    assert "no posting accounts in smo.yaml" in result.stderr


# --- writing and scheduling -----------------------------------------------------------------------

def test_post_at_a_local_time_is_stored_in_utc(smo: Run, workspace: Path) -> None:
    ok(smo("engage", "post", "Winter", "--to", "mastodon,bluesky", "--at", FUTURE))
    ok(smo("engage", "post", "Zomer", "--to", "acme-bluesky", "--at", "2030-07-01T09:30"))
    ok(smo("engage", "post", "Met offset", "--to", "acme-bluesky",
           "--at", "2030-07-01T09:30+00:00"))

    winter, summer, explicit = posts(workspace)
    assert winter.scheduled_at == datetime(2030, 12, 2, 8, 30, tzinfo=UTC)
    assert summer.scheduled_at == datetime(2030, 7, 1, 7, 30, tzinfo=UTC)
    assert explicit.scheduled_at == datetime(2030, 7, 1, 9, 30, tzinfo=UTC)
    assert (winter.state, winter.accounts) == ("scheduled", ["acme-mastodon", "acme-bluesky"])
    rows = ok(smo("engage", "list", "-f", "json")).json()
    assert [r["at"] for r in rows] == ["2030-07-01 09:30", "2030-07-01 11:30",
                                       "2030-12-02 09:30"]


@pytest.mark.parametrize(("at", "message"), [
    ("2030-03-31 02:30", "does not exist in Europe/Amsterdam (the clocks skip it)"),
    ("2020-01-01 09:00", "is in the past"),
    ("morgen", "is not a time"),
])
def test_bad_times_are_refused(smo: Run, workspace: Path, at: str, message: str) -> None:
    result = smo("engage", "post", "Hallo", "--to", "bluesky", "--at", at)
    assert result.exit_code == 5 and message in result.stderr
    assert posts(workspace) == []


def test_to_takes_platform_names_only_when_they_are_unambiguous(
        run: Run, workspace: Path, httpserver: HTTPServer) -> None:
    engage_config(workspace, httpserver)
    settings = yaml.safe_load((workspace / "smo.yaml").read_text(encoding="utf-8"))
    settings["engage"]["accounts"].append({"name": "sanne-mastodon", "platform": "mastodon",
                                           "owner": "officer",
                                           "instance": "https://mastodon.example"})
    (workspace / "smo.yaml").write_text(yaml.safe_dump(settings), encoding="utf-8")

    ambiguous = run("engage", "draft", "Hoi", "--to", "mastodon")
    assert ambiguous.exit_code == 2
    assert "--to mastodon is ambiguous: acme-mastodon, sanne-mastodon" in ambiguous.stderr
    unknown = run("engage", "draft", "Hoi", "--to", "twitter")
    assert unknown.exit_code == 3 and "no posting account 'twitter'" in unknown.stderr
    ok(run("engage", "draft", "Hoi", "--to", "bluesky,sanne-mastodon"))
    assert posts(workspace)[0].accounts == ["acme-bluesky", "sanne-mastodon"]


def test_problems_are_one_line_naming_the_account(smo: Run, workspace: Path,
                                                  tmp_path: Path) -> None:
    image = tmp_path / "pand.png"
    image.write_bytes(PNG)
    text_file = tmp_path / "pand.jpg"
    text_file.write_text("no image")

    too_long = smo("engage", "post", "ë" * 301, "--to", "mastodon,bluesky", "--dry-run")
    no_alt = smo("engage", "post", "Pand", "--to", "bluesky", "--media", str(image))
    empty_alt = smo("engage", "post", "Pand", "--to", "mastodon", "--media", str(image),
                    "--alt", " ")
    missing = smo("engage", "post", "Pand", "--to", "mastodon", "--media", "weg.png",
                  "--alt", "Weg")
    not_image = smo("engage", "post", "Pand", "--to", "bluesky", "--media", str(text_file),
                    "--alt", "Tekst")

    assert too_long.exit_code == 5
    assert too_long.stderr.strip() == ("error: acme-bluesky: text is 301 characters; Bluesky "
                                       "allows 300")
    assert no_alt.exit_code == 2 and "1 --media but 0 --alt" in no_alt.stderr
    assert empty_alt.exit_code == 5 and "acme-mastodon: image pand.png has no alt text" in \
        empty_alt.stderr
    assert missing.exit_code == 5 and f"{tmp_path / 'weg.png'} does not exist" in missing.stderr
    assert not_image.exit_code == 5 and "pand.jpg is not an image" in not_image.stderr
    assert posts(workspace) == []


def test_a_long_mastodon_text_is_a_warning_until_the_server_says(smo: Run) -> None:
    result = ok(smo("engage", "draft", "a" * 600, "--to", "mastodon"))
    assert "warning: acme-mastodon: text is 600 characters" in result.stderr
    assert "checked against the server when published" in result.stderr


def test_dry_run_shows_the_requests_with_facets_and_sends_nothing(
        smo: Run, workspace: Path, fakes: tuple[FakeMastodon, FakeBluesky],
        httpserver: HTTPServer, tmp_path: Path) -> None:
    image = tmp_path / "pand.png"
    image.write_bytes(PNG)
    text = "Zoë ☕ #AcmeKoffie https://acme.example/x"

    result = ok(smo("engage", "post", text, "--to", "mastodon,bluesky", "--media", str(image),
                    "--alt", "Het pand", "--dry-run"))

    mastodon, bluesky = json.loads(result.stdout)
    status = mastodon["requests"][-1]
    assert status["url"].endswith("/api/v1/statuses") and status["json"]["status"] == text
    assert mastodon["requests"][0]["description"] == "Het pand"
    record = bluesky["requests"][-1]["json"]["record"]
    assert record["facets"][0] == {"index": {"byteStart": 9, "byteEnd": 20}, "features": [
        {"$type": "app.bsky.richtext.facet#tag", "tag": "AcmeKoffie"}]}
    assert record["embed"]["images"][0]["alt"] == "Het pand"
    assert "Dry run: nothing was stored or sent." in result.stderr
    assert httpserver.log == [] and posts(workspace) == []


def test_a_draft_is_edited_scheduled_and_cancelled(smo: Run, workspace: Path) -> None:
    ok(smo("engage", "draft", "Open dag op 14 december", "--to", "bluesky", "--lang", "nl"))
    ok(smo("engage", "edit", "1", "--text", "Open dag op zaterdag 14 december",
           "--to", "mastodon,bluesky"))
    no_time = smo("engage", "schedule", "1")
    assert no_time.exit_code == 2 and "has no time yet" in no_time.stderr
    scheduled = ok(smo("engage", "schedule", "1", "--at", FUTURE))
    assert "Scheduled post 1 for 2030-12-02 09:30 (Europe/Amsterdam)." in scheduled.stdout

    [post] = posts(workspace)
    assert (post.state, post.text, post.accounts, post.lang) == (
        "scheduled", "Open dag op zaterdag 14 december", ["acme-mastodon", "acme-bluesky"], "nl")
    rows = ok(smo("engage", "list", "--state", "scheduled", "-f", "json")).json()
    assert list(rows[0]) == ["id", "state", "at", "to", "text", "media", "lang", "reply_to",
                             "urls", "last_error"]
    ok(smo("engage", "cancel", "1"))
    again = smo("engage", "edit", "1", "--text", "Toch wel")
    assert again.exit_code == 4 and "post 1 is cancelled" in again.stderr
    assert smo("engage", "list", "--state", "gepland").exit_code == 2


def test_post_without_at_publishes_now_on_every_account(
        smo: Run, workspace: Path, fakes: tuple[FakeMastodon, FakeBluesky]) -> None:
    mastodon, bluesky = fakes

    result = ok(smo("engage", "post", "Wij zoeken een servicemonteur! #vacature",
                    "--to", "mastodon,bluesky", "--lang", "nl"))

    assert "2 publications, 0 to retry, 0 failed posts, 0 stuck posts." in result.stderr
    assert len(mastodon.statuses) == 1 and len(bluesky.records) == 1
    [post] = posts(workspace)
    assert post.state == "published" and post.published_at is not None
    urls = ok(smo("engage", "list", "-f", "json")).json()[0]["urls"]
    assert urls[0].endswith("/@acme/110000")
    assert urls[1].startswith("https://bsky.app/profile/acme.test/post/")


def test_a_reply_goes_only_to_accounts_of_the_platform_answered(smo: Run, workspace: Path) -> None:
    result = smo("engage", "draft", "Dank je!", "--to", "mastodon,bluesky",
                 "--reply-to", "https://bsky.app/profile/klant.example/post/3lxyz")
    assert result.exit_code == 5
    assert "acme-mastodon: cannot answer a Bluesky post" in result.stderr
    ok(smo("engage", "draft", "Dank je!", "--to", "bluesky",
           "--reply-to", "https://bsky.app/profile/klant.example/post/3lxyz"))
    assert posts(workspace)[0].reply_url == "https://bsky.app/profile/klant.example/post/3lxyz"


def stored_bytes(workspace: Path) -> bytes:
    """All the workspace keeps: every value of every table in its database (either backend),
    the SQLite file and its write-ahead log byte for byte (old pages too), and the outbox."""
    engine = workspace_engine(workspace)
    try:
        tables = MetaData()
        tables.reflect(engine)
        with engine.connect() as connection:
            values = [value if isinstance(value, bytes) else str(value).encode()
                      for table in tables.sorted_tables
                      for row in connection.execute(table.select()) for value in row]
    finally:
        engine.dispose()
    assert values, "no rows read: not the workspace's database"
    files = [*workspace.glob("smo.db*"), *workspace.rglob("outbox/*")]
    return b"\n".join(values) + b"".join(path.read_bytes() for path in files)


def test_secrets_are_never_printed_or_stored(
        smo: Run, workspace: Path, fakes: tuple[FakeMastodon, FakeBluesky]) -> None:
    outputs = [ok(smo("engage", "accounts", "check")),
               ok(smo("engage", "post", "Geheim?", "--to", "mastodon,bluesky")),
               ok(smo("engage", "list", "-f", "csv")),
               smo("engage", "post", "Fout", "--to", "mastodon",
                   env={"ACME_MASTODON_TOKEN": "revoked-token-123"})]
    printed = "".join(o.stdout + o.stderr for o in outputs)
    stored = stored_bytes(workspace)
    for secret in (MASTODON_TOKEN, BLUESKY_PASSWORD, "revoked-token-123", "access-1",
                   "refresh-1"):
        assert secret not in printed
        assert secret.encode() not in stored
    assert outputs[-1].exit_code == 6



def test_a_reply_to_an_inbox_item_answers_its_mention(smo: Run, workspace: Path) -> None:
    from smo_cli.db.engine import transaction
    from smo_cli.db.models import Assignment, Mention

    uri = "at://did:plc:klantklantklantklant/app.bsky.feed.post/3lvraag"
    engine = workspace_engine(workspace)
    with transaction(engine) as session:
        mention = Mention(source_name="bsky", dedup_key=uri, external_id=uri, text="Vraag?",
                          url="https://bsky.app/profile/klant.example/post/3lvraag",
                          content_hash="x")
        session.add(mention)
        session.flush()
        session.add(Assignment(mention_id=mention.id or 0, rule_id="vragen"))
    engine.dispose()

    wrong = smo("engage", "draft", "Antwoord", "--to", "mastodon", "--reply-to", "1")
    assert wrong.exit_code == 5 and "cannot answer a Bluesky post" in wrong.stderr
    ok(smo("engage", "draft", "Antwoord", "--to", "bluesky", "--reply-to", "1"))
    [post] = posts(workspace)
    assert (post.reply_to, post.reply_url) == (1, uri)
    missing = smo("engage", "draft", "Antwoord", "--to", "bluesky", "--reply-to", "9")
    assert missing.exit_code == 3 and "no inbox item 9" in missing.stderr
