"""The platforms' text rules, offline: lengths as the servers count them, Bluesky facets at UTF-8
byte offsets, image types from the bytes, record keys."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from smo_cli.publish.base import MediaFile
from smo_cli.publish.bluesky import created_at, facets, tid
from smo_cli.publish.text import (
    graphemes,
    image_type,
    mastodon_length,
    media_problems,
    offline_problems,
    spans,
)
from tests.test_publish_servers import PNG


def test_graphemes_count_what_people_see() -> None:
    family = "👨‍👩‍👧"                         # five code points, one picture
    assert len(family) == 5 and graphemes(family) == 1
    assert graphemes("Zoe\u0301") == 3              # e + combining accent: one letter
    assert graphemes("Zoë ☕🎉") == 6


def test_mastodon_counts_links_as_23_and_remote_mentions_by_their_user() -> None:
    url = "https://www.acme-installatie.example/nl/vacatures/servicemonteur-utrecht"
    assert mastodon_length(f"Kijk: {url}") == len("Kijk: ") + 23
    # A full stop after a link is the sentence's, not the link's.
    assert mastodon_length(f"{url}.") == 24
    assert mastodon_length("Dank @sanne@mastodon.social!") == len("Dank @sanne!")


def test_facets_use_utf8_byte_offsets_after_accents_and_emoji() -> None:
    text = "Zoë en José ☕🎉 #AcmeKoffie via @sanne.bsky.social: https://acme.example/koffie."
    found = facets(text, {"sanne.bsky.social": "did:plc:sanne"})
    data = text.encode("utf-8")

    def covered(i: int) -> str:
        index = found[i]["index"]
        return data[index["byteStart"]:index["byteEnd"]].decode("utf-8")

    assert [covered(i) for i in range(3)] == ["#AcmeKoffie", "@sanne.bsky.social",
                                              "https://acme.example/koffie"]
    # "Zoë en José ☕🎉 " is 15 characters but 22 bytes: ë, é 2 each, ☕ 3, 🎉 4.
    assert text.index("#") == 15
    assert found[0] == {"index": {"byteStart": 22, "byteEnd": 33},
                        "features": [{"$type": "app.bsky.richtext.facet#tag",
                                      "tag": "AcmeKoffie"}]}
    assert found[1]["features"] == [{"$type": "app.bsky.richtext.facet#mention",
                                     "did": "did:plc:sanne"}]
    assert found[2]["features"] == [{"$type": "app.bsky.richtext.facet#link",
                                     "uri": "https://acme.example/koffie"}]


def test_what_is_not_a_facet() -> None:
    text = ("#2024 is geen tag, #vacature! wel; mail@acme.example geen mention, "
            "@sanne@mastodon.social ook niet, (zie https://a.example/x_(y)) en https://b.example/#top")
    found = [(s.kind, s.value) for s in spans(text)]
    assert found == [("tag", "vacature"), ("link", "https://a.example/x_(y)"),
                     ("link", "https://b.example/#top")]


def test_an_unresolved_mention_stays_plain_text() -> None:
    assert facets("Hoi @nobody.example", {}) == []


def test_images_are_recognised_by_their_bytes_not_their_name(tmp_path: Path) -> None:
    fake = tmp_path / "photo.jpg"
    fake.write_text("not an image")
    real = tmp_path / "photo.png"
    real.write_bytes(PNG)
    assert image_type(PNG) == "image/png"
    assert image_type(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "image/webp"
    problems, images = media_problems((MediaFile(fake, "Een foto"), MediaFile(real, " "),
                                       MediaFile(tmp_path / "gone.png", "Weg")),
                                      max_bytes=1000, alt_limit=100)
    assert problems == ["photo.jpg is not an image (JPEG, PNG, GIF or WebP)",
                        "image photo.png has no alt text (--alt): describe it for people who "
                        "cannot see it",
                        f"image {tmp_path / 'gone.png'} does not exist"]
    assert images == [] or images[0].path == real


def test_bluesky_images_over_a_megabyte_are_refused(tmp_path: Path) -> None:
    big = tmp_path / "big.png"
    big.write_bytes(PNG + b"\x00" * 1_000_000)
    errors, _ = offline_problems("bluesky", "Foto", (MediaFile(big, "Groot"),))
    assert errors == ["image big.png is 1,000.1 kB; at most 1,000.0 kB"]
    assert offline_problems("mastodon", "Foto", (MediaFile(big, "Groot"),)) == ([], [])


def test_bluesky_300_characters_is_an_error_mastodon_500_a_warning() -> None:
    assert offline_problems("bluesky", "ë" * 300, ()) == ([], [])
    assert offline_problems("bluesky", "ë" * 301, ())[0] == [
        "text is 301 characters; Bluesky allows 300"]
    errors, warnings = offline_problems("mastodon", "a" * 501, ())
    assert errors == [] and warnings == [
        "text is 501 characters (links count as 23); this Mastodon server allows 500"]


def test_record_keys_are_tids_that_stay_the_same_for_the_same_attempt() -> None:
    moment = datetime(2026, 12, 1, 8, 30, 0, 123456, tzinfo=UTC)
    key = tid(moment, "smo-post-1-acme-bluesky-abc")
    assert len(key) == 13 and key[0] in "234567abcdefghij"
    assert key == tid(moment, "smo-post-1-acme-bluesky-abc")
    assert key != tid(moment, "smo-post-2-acme-bluesky-abc")
    assert tid(datetime(2027, 1, 1, tzinfo=UTC), "k") > key      # TIDs sort by time
    assert created_at(moment) == "2026-12-01T08:30:00.123Z"
