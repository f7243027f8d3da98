"""OPML import and export: a feed reader's export read into feed outlines with their folders,
our own export read back, and hostile or broken files refused with a message naming the fault."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from smo_cli.errors import ExitCode, InvalidData
from smo_cli.sources.opml import FeedOutline, parse_opml, write_opml

EXPORT = (Path(__file__).parent / "data" / "feeds" / "subscriptions.opml").read_bytes()


def opml(body: str, head: str = '<?xml version="1.0" encoding="UTF-8"?>') -> bytes:
    return f'{head}<opml version="2.0"><head><title>t</title></head><body>{body}</body></opml>' \
        .encode()


def test_feed_reader_export_gives_feeds_with_their_folder_path() -> None:
    feeds = parse_opml(EXPORT)
    assert feeds[0] == FeedOutline(
        title="Regionieuws – Economie", xml_url="https://www.regionieuws.example/rss/economie.xml",
        html_url="https://www.regionieuws.example/economie", category=("News",))
    assert feeds[1].category == ("News", "Trade press")
    assert feeds[2].title == 'Google Alert - "Acme Corporation"'
    assert feeds[3].title == "Acme Corporation - YouTube"       # only text="", no title=""
    assert [feed.category for feed in feeds[2:4]] == [("Monitoring",), ("Monitoring",)]


def test_links_and_empty_folders_are_skipped_and_a_feed_listed_twice_is_kept_once() -> None:
    urls = [feed.xml_url for feed in parse_opml(EXPORT)]
    assert "https://acme.example/newsroom" not in urls
    assert urls.count("https://widgetweekly.example/feed.atom") == 1
    assert len(urls) == 5


def test_lower_case_xmlurl_attribute_is_read() -> None:
    intranet = parse_opml(EXPORT)[-1]
    assert (intranet.xml_url, intranet.category) == ("http://intranet.acme.local/news/rss", ())


def test_category_attribute_is_used_when_there_are_no_folders() -> None:
    [feed] = parse_opml(opml('<outline text="B" xmlUrl="https://b.example/rss" '
                             'category="/Press/Regional,/Other"/>'))
    assert feed.category == ("Press", "Regional")


def test_outline_without_a_title_is_named_after_its_address() -> None:
    [feed] = parse_opml(opml('<outline xmlUrl="https://c.example/rss"/>'))
    assert feed.title == "https://c.example/rss"


def test_export_reads_back_the_same_feeds() -> None:
    feeds = parse_opml(EXPORT)
    document = write_opml(feeds, "Acme listening sources")
    assert document.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<opml version="2.0">')
    assert "<title>Acme listening sources</title>" in document
    assert parse_opml(document.encode()) == feeds


def test_export_escapes_markup_in_titles_and_addresses() -> None:
    feed = FeedOutline(title='R&D <"news">\nline two', xml_url="https://d.example/rss?a=1&b=2",
                       category=("A & B",))
    document = write_opml([feed], "<Acme>")
    assert "&lt;Acme&gt;" in document and 'xmlUrl="https://d.example/rss?a=1&amp;b=2"' in document
    assert parse_opml(document.encode()) == [feed]


def test_export_of_nothing_is_a_valid_empty_list() -> None:
    assert parse_opml(write_opml([], "empty").encode()) == []


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE opml [
 <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
 <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
 <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
 <!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
]>
<opml version="2.0"><head><title>&e;</title></head><body>
<outline text="&e;" xmlUrl="https://e.example/rss"/></body></opml>"""

XXE = """<?xml version="1.0"?>
<!DOCTYPE opml [<!ENTITY passwd SYSTEM "file:///etc/passwd">
<!ENTITY remote SYSTEM "http://127.0.0.1:1/secret">]>
<opml version="2.0"><head><title>x</title></head><body>
<outline text="&passwd;&remote;" xmlUrl="https://x.example/rss"/></body></opml>"""


@pytest.mark.parametrize("document", [
    BILLION_LAUGHS.encode(),
    XXE.encode(),
    XXE.encode("utf-16"),            # a byte search for "<!DOCTYPE" would miss this one
    b'<?xml version="1.0"?><!DOCTYPE opml SYSTEM "http://127.0.0.1:1/opml.dtd"><opml/>',
])
def test_any_doctype_is_refused_before_entities_expand(document: bytes) -> None:
    started = time.perf_counter()
    with pytest.raises(InvalidData, match="declares a DOCTYPE") as caught:
        parse_opml(document)
    assert time.perf_counter() - started < 1
    assert caught.value.exit_code is ExitCode.INVALID


def test_broken_xml_names_line_and_column() -> None:
    with pytest.raises(InvalidData, match="not valid XML: mismatched tag at line 3, column 3"):
        parse_opml(b'<opml version="2.0">\n<body><outline text="a">\n</body></opml>')


@pytest.mark.parametrize(("document", "message"), [
    (b"", "is empty"),
    (b"  \n", "is empty"),
    (b'<rss version="2.0"><channel/></rss>', "the document is <rss>, not <opml>"),
    (b'<opml version="2.0"><head/></opml>', "has no <body>"),
    (opml('<outline text="Evil" xmlUrl="javascript:alert(1)"/>'),
     "line 1: feed 'Evil' has xmlUrl 'javascript:alert(1)', which is not an http(s) address"),
    (opml('<outline text="Local" xmlUrl="file:///etc/passwd"/>'), "not an http(s) address"),
])
def test_wrong_files_are_invalid_data_naming_the_fault(document: bytes, message: str) -> None:
    with pytest.raises(InvalidData) as caught:
        parse_opml(document)
    assert message in caught.value.message


def test_latin_1_encoded_export_is_read() -> None:
    document = opml('<outline text="Café Acme" xmlUrl="https://cafe.example/rss"/>',
                    head='<?xml version="1.0" encoding="ISO-8859-1"?>')
    latin = document.decode().encode("iso-8859-1")
    assert parse_opml(latin)[0].title == "Café Acme"
