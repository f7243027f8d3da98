"""`smo sources`: adding, listing, enabling and removing what smo listens to."""

from __future__ import annotations

import pytest

from tests.conftest import Run


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
