"""Handle and URL normalisation: one account, whatever form the officer typed."""

from __future__ import annotations

import pytest

from smo_cli.db.models import Platform
from smo_cli.errors import InvalidData
from smo_cli.services.handles import Identity, guess_platform, identify


@pytest.mark.parametrize(
    ("platform", "handle", "url", "expected_handle", "expected_url"),
    [
        (Platform.mastodon, "@Acme@Mastodon.Social", None, "@acme@mastodon.social",
         "https://mastodon.social/@acme"),
        (Platform.mastodon, "acme@mastodon.social", None, "@acme@mastodon.social",
         "https://mastodon.social/@acme"),
        (Platform.mastodon, "@Acme", "https://mastodon.social/@acme", "@acme@mastodon.social",
         "https://mastodon.social/@acme"),
        (Platform.mastodon, "https://mastodon.social/users/Acme", None, "@acme@mastodon.social",
         "https://mastodon.social/@acme"),
        (Platform.bluesky, "@Acme.bsky.social", None, "@acme.bsky.social",
         "https://bsky.app/profile/acme.bsky.social"),
        (Platform.bluesky, "https://bsky.app/profile/acme.nl", None, "@acme.nl",
         "https://bsky.app/profile/acme.nl"),
        (Platform.x, "@ACME", None, "@acme", "https://x.com/acme"),
        (Platform.x, "https://twitter.com/Acme/", None, "@acme", "https://x.com/acme"),
        (Platform.instagram, "instagram.com/acme_nl", None, "@acme_nl",
         "https://www.instagram.com/acme_nl/"),
        (Platform.linkedin, "https://www.linkedin.com/company/Acme-BV/about/", None,
         "company/acme-bv", "https://www.linkedin.com/company/acme-bv/"),
        (Platform.youtube, "https://www.youtube.com/channel/UCaBcD", None, "channel/UCaBcD",
         "https://www.youtube.com/channel/UCaBcD"),
        (Platform.youtube, "@AcmeTV", None, "@acmetv", "https://www.youtube.com/@acmetv"),
        (Platform.facebook, "https://www.facebook.com/profile.php?id=1234", None,
         "profile.php?id=1234", "https://www.facebook.com/profile.php?id=1234"),
        (Platform.website, "www.Acme.nl", None, "acme.nl", "https://www.acme.nl/"),
        (Platform.blog, None, "https://acme.nl/blog/", "acme.nl/blog", "https://acme.nl/blog"),
    ],
)
def test_forms_of_one_account_normalise_to_one_handle(platform: Platform, handle: str | None,
                                                     url: str | None, expected_handle: str,
                                                     expected_url: str) -> None:
    identity = identify(platform, handle, url)
    assert identity.handle == expected_handle
    assert identity.url == expected_url


@pytest.mark.parametrize(
    ("platform", "handle", "message"),
    [
        (Platform.mastodon, "@acme", "give it with its server"),
        (Platform.x, "https://instagram.com/acme", "is not a x address"),
        (Platform.linkedin, "acme", "is not a LinkedIn page"),
        (Platform.bluesky, "not a handle!", "is not a Bluesky handle"),
        (Platform.x, "", "give a handle or a profile URL"),
    ],
)
def test_unusable_handles_are_rejected_with_a_reason(platform: Platform, handle: str,
                                                     message: str) -> None:
    with pytest.raises(InvalidData) as caught:
        identify(platform, handle, None)
    assert message in str(caught.value)


def test_platform_is_guessed_from_known_hosts() -> None:
    assert guess_platform("https://twitter.com/acme") is Platform.x
    assert guess_platform("https://www.linkedin.com/company/acme") is Platform.linkedin
    assert guess_platform("https://social.example.org/@acme") is Platform.mastodon
    assert guess_platform("@acme") is None


@pytest.mark.parametrize(
    ("platform", "url"),
    [
        (Platform.instagram, "https://www.instagram.com/p/C1a2B3c4D5e/"),
        (Platform.instagram, "https://www.instagram.com/reel/C1a2B3c4D5e/"),
        (Platform.instagram, "https://www.instagram.com/explore/tags/warmtepomp/"),
        (Platform.instagram, "https://www.instagram.com/stories/highlights/17900000000000000/"),
        (Platform.instagram, "https://www.instagram.com/stories/"),
        (Platform.facebook, "https://www.facebook.com/groups/acmefans"),
        (Platform.facebook, "https://www.facebook.com/pages/Acme-BV/123456789"),
        (Platform.facebook, "https://www.facebook.com/watch/?v=123"),
        (Platform.facebook, "https://www.facebook.com/permalink.php?story_fbid=1&id=2"),
        (Platform.facebook, "https://www.facebook.com/profile.php?sk=about"),
        (Platform.youtube, "https://www.youtube.com/watch?v=dQw4w9WgXcQ"),
        (Platform.youtube, "https://www.youtube.com/shorts/dQw4w9WgXcQ"),
        (Platform.youtube, "https://youtu.be/dQw4w9WgXcQ"),
        (Platform.x, "https://x.com/home"),
        (Platform.x, "https://x.com/i/flow/login"),
        (Platform.x, "https://x.com/search?q=acme"),
        (Platform.x, "https://twitter.com/intent/tweet?text=hi"),
        (Platform.x, "https://x.com/"),
        (Platform.tiktok, "https://www.tiktok.com/video/7300000000000000000"),
        (Platform.tiktok, "https://vm.tiktok.com/ZMabc123/"),
        (Platform.threads, "https://www.threads.net/t/C1a2B3c4D5e"),
        (Platform.linkedin, "https://www.linkedin.com/feed/"),
        (Platform.linkedin, "https://www.linkedin.com/posts/acme_warmtepomp-activity-1-abcd"),
    ],
)
def test_pages_that_are_not_profiles_are_rejected(platform: Platform, url: str) -> None:
    for handle, link in ((url, None), (None, url)):
        with pytest.raises(InvalidData) as caught:
            identify(platform, handle, link)
        assert "is not a profile page" in caught.value.message
        assert caught.value.hint is not None and "use the profile's address" in caught.value.hint


@pytest.mark.parametrize(
    ("platform", "url", "expected_handle"),
    [
        (Platform.x, "https://x.com/Acme/status/1234567890", "@acme"),
        (Platform.x, "https://mobile.twitter.com/acme/with_replies", "@acme"),
        (Platform.instagram, "https://www.instagram.com/acme/", "@acme"),
        (Platform.instagram, "https://www.instagram.com/acme/p/C1a2B3c4D5e/", "@acme"),
        (Platform.instagram, "https://www.instagram.com/stories/Acme/3141592653589793/", "@acme"),
        (Platform.tiktok, "https://www.tiktok.com/@acme/video/7300000000000000000", "@acme"),
        (Platform.threads, "https://www.threads.net/@acme/post/C1a2B3c4D5e", "@acme"),
        (Platform.youtube, "https://www.youtube.com/@AcmeTV/videos", "@acmetv"),
        (Platform.facebook, "https://www.facebook.com/acme/posts/pfbid0abc", "acme"),
        (Platform.facebook, "https://www.facebook.com/people/Jan-Jansen/100012345678901/",
         "profile.php?id=100012345678901"),
        (Platform.facebook, "https://www.facebook.com/p/Acme-BV-100063554958585/",
         "profile.php?id=100063554958585"),
        (Platform.mastodon, "https://mastodon.social/@acme/111222333444555666",
         "@acme@mastodon.social"),
        (Platform.mastodon, "https://mastodon.social/users/acme/statuses/111222333444555666",
         "@acme@mastodon.social"),
        (Platform.bluesky, "https://bsky.app/profile/acme.nl/post/3kabc", "@acme.nl"),
    ],
)
def test_a_post_url_resolves_to_the_profile_that_posted_it(platform: Platform, url: str,
                                                         expected_handle: str) -> None:
    assert identify(platform, None, url).handle == expected_handle


def test_a_mastodon_url_of_a_remote_account_names_its_home_server() -> None:
    identity = identify(Platform.mastodon, None, "https://mastodon.social/@Acme@fosstodon.org")
    assert identity == Identity("@acme@fosstodon.org", "https://fosstodon.org/@acme")


@pytest.mark.parametrize(
    "text",
    [
        "https://www.facebook.com/profile.php?id=1234",
        "https://www.facebook.com/profile.php?id=1234&sk=about",
        "https://www.facebook.com/profile.php?sk=about&id=1234",
        "https://m.facebook.com/profile.php/?ref=bookmarks&id=1234",
        "profile.php?sk=about&id=1234",
    ],
)
def test_facebook_profile_ids_keep_only_the_id(text: str) -> None:
    assert identify(Platform.facebook, text, None) == Identity(
        "profile.php?id=1234", "https://www.facebook.com/profile.php?id=1234")


@pytest.mark.parametrize(
    "text",
    [
        "javascript:alert(1)",
        "mailto:info@acme.nl",
        "ftp://acme.nl/",
        "https://acme.nl:port/",
        "https://acme.nl:99999/",
        "https://[::1/",
        "https://acme.nl/a b",
        "https://",
        "https:///blog",
        "https://user:secret@acme.nl/",
        "https://acme!.nl/",
    ],
)
def test_garbage_web_addresses_are_invalid_data_not_a_crash(text: str) -> None:
    for platform in (Platform.website, Platform.x, Platform.mastodon, Platform.bluesky):
        with pytest.raises(InvalidData, match="is not a web address"):
            identify(platform, None, text)
    with pytest.raises(InvalidData, match="is not a web address"):
        identify(Platform.website, text, None)


def test_a_web_address_may_carry_a_port_and_plain_http() -> None:
    assert identify(Platform.website, "http://acme.nl:8080/shop/", None) == Identity(
        "acme.nl:8080/shop", "http://acme.nl:8080/shop")


def test_guessing_the_platform_of_a_broken_url_says_what_is_wrong() -> None:
    with pytest.raises(InvalidData, match="is not a web address"):
        guess_platform("https://acme.nl:port/")
    assert guess_platform("javascript:alert(1)") is None


@pytest.mark.parametrize(
    ("platform", "handle", "url"),
    [
        (Platform.mastodon, "@foo", "https://fosstodon.org/@bar"),
        (Platform.mastodon, "@acme@mastodon.social", "https://fosstodon.org/@acme"),
        (Platform.x, "acme", "https://x.com/other"),
        (Platform.x, "https://x.com/acme", "https://x.com/other"),
        (Platform.instagram, "@acme", "https://www.instagram.com/stories/other/1/"),
        (Platform.facebook, "profile.php?id=1", "https://www.facebook.com/profile.php?id=2"),
        (Platform.linkedin, "company/acme", "https://www.linkedin.com/in/acme/"),
        (Platform.bluesky, "@acme.bsky.social", "https://bsky.app/profile/other.bsky.social"),
        (Platform.website, "acme.nl", "https://shop.acme.nl/"),
    ],
)
def test_a_handle_and_url_naming_different_accounts_are_rejected(platform: Platform, handle: str,
                                                                 url: str) -> None:
    with pytest.raises(InvalidData) as caught:
        identify(platform, handle, url)
    assert caught.value.message == f"handle {handle} and URL {url} name different accounts"


@pytest.mark.parametrize(
    ("platform", "url", "message"),
    [
        (Platform.bluesky, "https://x.com/acme", "is not a Bluesky profile URL"),
        (Platform.bluesky, "https://www.instagram.com/acme/", "is not a Bluesky profile URL"),
        (Platform.mastodon, "https://www.tiktok.com/@acme", "is not a Mastodon profile URL"),
        (Platform.x, "https://www.instagram.com/acme/", "is not a x address"),
    ],
)
def test_a_handle_with_a_url_of_another_platform_is_rejected(platform: Platform, url: str,
                                                             message: str) -> None:
    handle = {Platform.bluesky: "@acme.bsky.social",
              Platform.mastodon: "@acme@mastodon.social"}.get(platform, "@acme")
    with pytest.raises(InvalidData, match=message):
        identify(platform, handle, url)


@pytest.mark.parametrize(
    ("platform", "handle", "url", "expected"),
    [
        (Platform.mastodon, "@Acme", "https://mastodon.social/@acme",
         Identity("@acme@mastodon.social", "https://mastodon.social/@acme")),
        (Platform.mastodon, "@acme", "https://fosstodon.org/@acme",
         Identity("@acme@fosstodon.org", "https://fosstodon.org/@acme")),
        (Platform.mastodon, "acme@Fosstodon.org", "http://fosstodon.org/@acme/123",
         Identity("@acme@fosstodon.org", "http://fosstodon.org/@acme")),
        (Platform.x, "@ACME", "https://twitter.com/acme/status/1",
         Identity("@acme", "https://x.com/acme")),
        (Platform.bluesky, "@Acme.nl", "https://bsky.app/profile/acme.nl",
         Identity("@acme.nl", "https://bsky.app/profile/acme.nl")),
        (Platform.facebook, "profile.php?id=1234",
         "https://www.facebook.com/profile.php?sk=about&id=1234",
         Identity("profile.php?id=1234", "https://www.facebook.com/profile.php?id=1234")),
        (Platform.website, "acme.nl", "http://www.acme.nl/",
         Identity("acme.nl", "http://www.acme.nl/")),
    ],
)
def test_a_handle_and_url_that_agree_are_one_account(platform: Platform, handle: str, url: str,
                                                     expected: Identity) -> None:
    assert identify(platform, handle, url) == expected
