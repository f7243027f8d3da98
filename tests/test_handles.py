"""Handle and URL normalisation: one account, whatever form the officer typed."""

from __future__ import annotations

import pytest

from smo_cli.db.models import Platform
from smo_cli.errors import InvalidData
from smo_cli.services.handles import guess_platform, identify


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
