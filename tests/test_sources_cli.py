"""`smo sources`: adding, listing, enabling and removing what smo listens to."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from tests.conftest import OtherWorkspace, Run


def test_add_each_kind_with_sensible_names(run: Run) -> None:
    assert run("sources", "add", "rss", "--url",
               "https://www.google.com/alerts/feeds/1/2").exit_code == 0
    assert run("sources", "add", "mastodon", "--instance", "https://mastodon.social", "--tag",
               "#AcmeNL").exit_code == 0
    assert run("sources", "add", "bluesky", "--query", "acme installatie").exit_code == 0
    assert run("sources", "add", "hackernews", "--query", "acme").exit_code == 0
    assert run("sources", "add", "reddit", "--query", "acme", "--subreddit",
               "thenetherlands").exit_code == 0
    names = [s["name"] for s in run("sources", "list", "-f", "json").json()]
    assert names == ["bluesky-query-acme-installatie", "google.com", "hackernews-query-acme",
                     "mastodon-tag-acmenl", "reddit-query-acme"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("rss",), "a rss source needs --url"),
        (("rss", "--url", "ftp://x.example/feed"), "is not an http(s) address"),
        (("rss", "--url", "http://10.0.0.5/feed.xml"), "is a private or local address"),
        (("mastodon", "--instance", "https://m.example"), "exactly one of --tag, --account"),
        (("mastodon", "--instance", "https://m.example", "--tag", "a", "--search", "b"),
         "exactly one of"),
        (("bluesky", "--tag", "x"), "bluesky sources do not take tag"),
        (("myspace", "--query", "x"), "unknown source kind 'myspace'"),
    ],
)
def test_bad_sources_are_refused_with_a_reason(run: Run, args: tuple[str, ...],
                                               message: str) -> None:
    result = run("sources", "add", *args)
    assert result.exit_code == 5
    assert message in result.stderr
    assert run("sources", "list", "-f", "json").json() == []


def test_intranet_feed_needs_allow_private(run: Run) -> None:
    result = run("sources", "add", "rss", "--url", "http://intranet.acme.local/news.xml",
                 "--allow-private", "--keep-all", "--name", "intranet", "-f", "json")
    assert result.exit_code == 0
    assert (result.json()["allow_private"], result.json()["keep_all"]) == (True, True)


def test_same_name_twice_is_a_conflict(run: Run) -> None:
    run("sources", "add", "hackernews", "--query", "acme")
    again = run("sources", "add", "hackernews", "--query", "acme")
    assert again.exit_code == 4
    assert "pass --name" in again.stderr


def test_disable_enable_and_remove(run: Run) -> None:
    run("sources", "add", "hackernews", "--query", "acme", "--name", "hn")
    run("sources", "disable", "hn")
    assert run("sources", "show", "hn", "-f", "json").json()["status"] == "disabled"
    run("sources", "enable", "hn")
    assert run("sources", "show", "hn", "-f", "json").json()["status"] == "active"
    assert run("sources", "remove", "hn").exit_code == 0
    missing = run("sources", "show", "hn")
    assert missing.exit_code == 3
    assert "no source named 'hn'" in missing.stderr


FEED = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Nieuws</title><link>https://news.example/</link>
<item><title>Acme opent vestiging in Arnhem</title><link>https://news.example/1?utm_source=rss</link>
<guid>https://news.example/1</guid><pubDate>Mon, 23 Nov 2026 08:15:00 +0100</pubDate>
<description>Het installatiebedrijf Acme groeit.</description></item>
<item><title>Weerbericht</title><link>https://news.example/2</link><guid>https://news.example/2</guid>
<description>Morgen regen.</description></item>
</channel></rss>"""


def test_source_test_shows_what_would_be_stored_and_stores_nothing(
        run: Run, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/feed.xml").respond_with_data(
        FEED, content_type="application/rss+xml")
    run("queries", "add", "brand", "acme")
    run("sources", "add", "rss", "--url", httpserver.url_for("/feed.xml"), "--allow-private",
        "--name", "nieuws")
    result = run("sources", "test", "nieuws", "-f", "json")
    assert result.exit_code == 0, result.stderr
    verdicts = {row["title"]: (row["verdict"], row["queries"]) for row in result.json()}
    assert verdicts == {"Acme opent vestiging in Arnhem": ("new", ["brand"]),
                        "Weerbericht": ("no query matched", [])}
    assert "Nothing was stored." in result.stderr
    assert run("mentions", "list", "-f", "json").json() == []


def test_source_test_of_a_failing_source_exits_6(run: Run, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/gone.xml").respond_with_data("", status=500)
    run("sources", "add", "rss", "--url", httpserver.url_for("/gone.xml"), "--allow-private",
        "--name", "kapot")
    result = run("sources", "test", "kapot")
    assert result.exit_code == 6
    assert "kapot: error" in result.stderr and "HTTP 500" in result.stderr


OPML = """<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0"><head><title>Feeds</title></head><body>
<outline text="Nieuws"><outline type="rss" text="Regionaal Nieuws" xmlUrl="https://rn.example/rss"/>
<outline type="rss" text="Vakblad" xmlUrl="https://vakblad.example/feed"/></outline>
<outline type="rss" text="Regionaal Nieuws" xmlUrl="https://other.example/rss"/>
</body></opml>"""


def test_opml_import_export_round_trip(run: Run, tmp_path: Path,
                                      another_workspace: OtherWorkspace) -> None:
    path = tmp_path / "feeds.opml"
    path.write_text(OPML)
    first = run("sources", "import", str(path))
    assert "3 feeds added, 0 already present" in first.stdout
    assert "0 feeds added, 3 already present" in run("sources", "import", str(path)).stdout
    names = [s["name"] for s in run("sources", "list", "-f", "json").json()]
    assert names == ["regionaal-nieuws", "regionaal-nieuws-2", "vakblad"]
    exported = tmp_path / "out.opml"
    run("sources", "export", "-o", str(exported))
    other = another_workspace.root
    created = run("init", str(other), "--org", "Other", env=another_workspace.env)
    assert created.exit_code == 0, created.stderr
    again = run("-w", str(other), "sources", "import", str(exported), env=another_workspace.env)
    assert "3 feeds added" in again.stdout


def test_opml_with_an_entity_declaration_is_refused(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "evil.opml"
    path.write_text('<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
                    '<opml version="2.0"><body><outline xmlUrl="https://a.example/&x;"/></body>'
                    "</opml>")
    result = run("sources", "import", str(path))
    assert result.exit_code == 5
    assert run("sources", "list", "-f", "json").json() == []


def test_opml_titles_that_start_with_a_dot_still_import(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "dot.opml"
    path.write_text('<?xml version="1.0"?><opml version="2.0"><body>'
                    '<outline type="rss" text=".NET Blog" xmlUrl="https://devblogs.example/feed"/>'
                    "</body></opml>")
    assert "1 feeds added" in run("sources", "import", str(path)).stdout
    assert [s["name"] for s in run("sources", "list", "-f", "json").json()] == ["net-blog"]
