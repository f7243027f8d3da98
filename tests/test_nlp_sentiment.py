"""Sentiment behaviour: negation, boosters, contrast, emoji, questions, languages, tokens,
and the post-level rules of context.py: irony, complaints without sentiment words, idioms,
recommendations, news about problems, waits and solved problems."""

from __future__ import annotations

import dataclasses

import pytest

from smo_cli.nlp import Sentiment, sentiment
from smo_cli.nlp.dutch import dutch_stems
from smo_cli.nlp.engine import Rules
from smo_cli.nlp.english import english_stems
from smo_cli.nlp.text import EMOJI, HASHTAG, NUM, tokenize


def score(text: str, lang: str) -> float:
    return sentiment(text, lang).score


def test_sentiment_is_a_frozen_label_and_score() -> None:
    result = sentiment("Great service, thank you!", "en")
    assert result == Sentiment(label="positive", score=result.score)
    assert -1.0 <= result.score <= 1.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.label = "negative"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("text", "lang", "label"),
    [
        ("Dikke duim voor de klantenservice, super geholpen! 👍", "nl", "positive"),
        ("Al drie weken geen internet en niemand reageert. Schandalig.", "nl", "negative"),
        ("Amai, plezante winkel en zalige koffie. Dikke merci!", "nl-BE", "positive"),
        ("Ambetant hoor, de app ligt weer plat.", "nl-BE", "negative"),
        ("De winkel in Gent is zondag open van 12 tot 17 uur.", "nl", "neutral"),
        ("Huge thanks to the support team, sorted in minutes!", "en", "positive"),
        ("On hold for an hour and still no reply. Unacceptable.", "en", "negative"),
        ("The store in Leeds opens at 9am on Saturday.", "en_GB", "neutral"),
    ],
)
def test_clear_posts_get_their_label(text: str, lang: str, label: str) -> None:
    assert sentiment(text, lang).label == label


@pytest.mark.parametrize(
    ("plain", "negated", "lang"),
    [
        ("Ik ben tevreden over de service", "Ik ben niet tevreden over de service", "nl"),
        ("Dit is een aanrader", "Dit is geen aanrader", "nl"),
        ("De service was goed", "De service was nooit goed", "nl"),
        ("Ik vond het allerminst prettig", "Ik vond het prettig", "nl"),
        ("The service was good", "The service was not good", "en"),
        ("I can recommend them", "I can't recommend them", "en"),
    ],
)
def test_negation_flips_the_sign(plain: str, negated: str, lang: str) -> None:
    if "allerminst" in plain:
        plain, negated = negated, plain
    assert score(plain, lang) > 0 > score(negated, lang)


def test_negation_of_a_negative_word_turns_positive() -> None:
    assert score("Geen klachten over de levering", "nl") > 0
    assert score("Not bad at all, the new app", "en") > 0


def test_dutch_negation_after_the_verb() -> None:
    # Dutch puts "niet" after the finite verb: the failure verb is negated from behind.
    assert sentiment("De app werkt niet sinds de update", "nl").label == "negative"
    assert sentiment("Het bevalt me niet", "nl").label == "negative"
    assert sentiment("De app werkt weer", "nl").label == "neutral"


def test_failure_words_are_neutral_alone_and_negative_when_negated() -> None:
    assert sentiment("Ik heb een reactie gestuurd naar de helpdesk", "nl").label == "neutral"
    assert sentiment("Nog steeds geen reactie van de helpdesk", "nl").label == "negative"
    assert sentiment("I sent a reply to the helpdesk", "en").label == "neutral"
    assert sentiment("Still no reply from the helpdesk", "en").label == "negative"


def test_never_so_compares_instead_of_negating() -> None:
    assert score("Ik heb nog nooit zo'n slechte service gehad", "nl") < 0
    assert score("I have never been so happy with a bank", "en") > 0


@pytest.mark.parametrize(
    ("base", "boosted"),
    [
        ("De service is goed", "De service is heel goed"),
        ("De service is goed", "De service is echt ontzettend goed"),
        ("De levering was traag", "De levering was erg traag"),
        ("De levering was traag", "De levering was enorm traag"),
        ("Ik ben blij", "Ik ben superblij"),
        ("The service is good", "The service is very good"),
    ],
)
def test_intensifiers_strengthen(base: str, boosted: str) -> None:
    lang = "en" if base.startswith("The") else "nl"
    assert abs(score(boosted, lang)) > abs(score(base, lang))


def test_diminishers_weaken() -> None:
    assert 0 > score("De app is een beetje traag", "nl") > score("De app is traag", "nl")
    assert score("Redelijk tevreden", "nl") < score("Tevreden", "nl")


def test_clause_after_maar_weighs_more() -> None:
    assert sentiment("Snelle levering, maar het product is slecht", "nl").label == "negative"
    assert sentiment("Het product is slecht, maar de levering was snel", "nl").score > score(
        "Snelle levering, maar het product is slecht", "nl"
    )
    assert score("Het was duur, maar echt top", "nl") > 0
    assert score("De levering was snel. De kwaliteit was echter slecht.", "nl") < 0
    assert score("Great delivery but the product is awful", "en") < 0


def test_maar_as_a_particle_is_no_contrast() -> None:
    # "alleen maar" (only) and "maar liefst" (no less than) do not discount what precedes.
    assert score("Top service, alleen maar lof", "nl") > 0
    assert score("Maar liefst drie keer gebeld en niemand nam op, belachelijk", "nl") < 0


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("Nieuwe telefoon binnen 😍😍", "positive"),
        ("Weer vertraging 😡", "negative"),
        ("New phone arrived ❤️", "positive"),
        ("Train late again 🙄", "negative"),
        ("Nieuwe telefoon binnen :)", "positive"),
        ("New phone arrived :(", "negative"),
        ("Yes 👍🏽", "positive"),
    ],
)
def test_emoji_and_emoticons_count(text: str, label: str) -> None:
    lang = "nl" if text.startswith(("Nieuwe", "Weer")) else "en"
    assert sentiment(text, lang).label == label


def test_exclamation_marks_amplify() -> None:
    assert score("Goed gedaan!!!", "nl") > score("Goed gedaan", "nl") > 0
    assert score("Belachelijk!!", "nl") < score("Belachelijk", "nl") < 0


def test_praise_in_a_question_is_mostly_an_option() -> None:
    question = "Is the free plan the best option for a small team?"
    assert sentiment(question, "en").label == "neutral"
    complaint = "Is the internet down again? Third time this week"
    assert sentiment(complaint, "en").label == "negative"


def test_urls_and_handles_do_not_carry_sentiment() -> None:
    text = (
        "@GreatSupport @bestbank https://example.com/awful-terrible-horrible the store opens at 9"
    )
    assert sentiment(text, "en") == Sentiment("neutral", 0.0)


def test_hashtags_keep_their_words() -> None:
    assert sentiment("Derde storing deze maand #EpicFail", "nl").label == "negative"
    assert sentiment("Het pakket is er #dikkeduim", "nl").label == "positive"


def test_dutch_inflections_are_found() -> None:
    assert sentiment("Wat een trage en onbeschofte helpdesk", "nl").label == "negative"
    assert sentiment("De allerslechtste service: de slechtste ooit", "nl").label == "negative"
    assert list(dutch_stems("trage"))[-1] == "traag"
    assert "boos" in dutch_stems("boze")


def test_language_is_detected_when_not_given() -> None:
    assert sentiment("Wat een waardeloze service, ik ben het zo zat", None).label == "negative"


def test_other_languages_use_emoji_only() -> None:
    assert sentiment("Der Service war wirklich schlecht", "de").label == "neutral"
    assert sentiment("Der Service war wirklich schlecht 😡", "de").label == "negative"
    assert sentiment("Merci beaucoup pour votre aide ❤️", "fr").label == "positive"


def test_empty_and_noise_only_text_is_neutral() -> None:
    assert sentiment("", "en") == Sentiment("neutral", 0.0)
    assert sentiment("https://acme.example @acme", "nl") == Sentiment("neutral", 0.0)


def test_tokenizer_keeps_emoji_and_splits_hashtags() -> None:
    tokens = tokenize("Top! 👍🏽 #EpicFail mail info@acme.example :-)")
    assert [t.lower for t in tokens if t.kind == HASHTAG] == ["epic", "fail"]
    assert [t.lower for t in tokens if t.kind == EMOJI] == ["👍", ":-)"]
    assert "info" not in [t.lower for t in tokens]


def test_an_unknown_lexicon_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown lexicon entry kind"):
        Rules().load("q\tword\t1.0")


# -- post-level rules (context.py) ---------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Really reliable service #not", "en"),
        ("Love standing on a cold platform at midnight 🙃", "en"),
        ("Yeah right @GreenPower, your call is important to us", "en"),
        ("Lekker dan @GlasNet, de monteur komt niet", "nl"),
        ("Bedankt voor de 'snelle' levering, na drie weken eindelijk mijn pakket.", "nl"),
    ],
)
def test_an_irony_marker_turns_praise_into_blame(text: str, lang: str) -> None:
    assert sentiment(text, lang).label == "negative"


@pytest.mark.parametrize(
    ("sarcastic", "meant", "lang"),
    [
        ("Great, @MetroRail cancelled my train again.", "Great, thanks for the quick fix!", "en"),
        (
            "Fijn hoor @NSReizen, weer een trein geschrapt en geen vervangend vervoer.",
            "Super bedankt hoor!",
            "nl",
        ),
        (
            "Nice one @FibreNet, internet down during my job interview. Brilliant timing.",
            "Nice one @FibreNet, the new router is brilliant.",
            "en",
        ),
    ],
)
def test_exclaimed_praise_is_sarcasm_only_in_a_complaint(
    sarcastic: str, meant: str, lang: str
) -> None:
    assert sentiment(sarcastic, lang).label == "negative"
    assert sentiment(meant, lang).label == "positive"


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("For the third time this month my parcel went to the wrong address.", "en"),
        ("Voor de derde keer hetzelfde formulier opgestuurd.", "nl"),
        ("Mijn terugbetaling is nog steeds niet binnen.", "nl"),
        ("@CareFirst told me I'd get a call back within 48 hours. That was last Tuesday.", "en"),
        ("On hold for 45 minutes with @SwiftBank.", "en"),
        ("Al drie weken wachten op de monteur van @GlasNet.", "nl"),
        ("Down since Friday and nobody answers @FibreNet", "en"),
        ("Three weeks for a screen repair. THREE WEEKS.", "en"),
        ("Trains late again", "en"),
        ("Weer een storing bij @GlasNet", "nl"),
    ],
)
def test_complaints_without_sentiment_words_are_negative(text: str, lang: str) -> None:
    assert sentiment(text, lang).label == "negative"


def test_weer_and_again_complain_only_next_to_a_complaint() -> None:
    assert sentiment("The union and the airline meet again on Monday.", "en").label == "neutral"
    assert sentiment("Bij @Bistro21 was het weer genieten vanavond", "nl").label == "positive"
    assert sentiment("Weer geen internet bij @GlasNet", "nl").label == "negative"


@pytest.mark.parametrize(
    ("text", "lang", "label"),
    [
        ("Kan niet beter, @ReisNu!", "nl", "positive"),
        ("Geen kwaad woord over @GlasNet", "nl", "positive"),
        ("Dikke pluim voor de bezorger", "nl", "positive"),
        ("Petje af voor @BankNoord", "nl", "positive"),
        ("Het is niet te filmen hoe ze met klanten omgaan", "nl", "negative"),
        ("The support couldn't have been better", "en", "positive"),
        ("I can't thank them enough", "en", "positive"),
        ("Ik kan ze niet genoeg bedanken", "nl", "positive"),
        ("Honestly the smoothest check-in I've had", "en", "positive"),
        ("10/10 would order again", "en", "positive"),
    ],
)
def test_idioms(text: str, lang: str, label: str) -> None:
    assert sentiment(text, lang).label == label


@pytest.mark.parametrize(
    ("text", "lang", "label"),
    [
        ("Nooit meer @VliegWest", "nl", "negative"),
        (
            "Nooit meer een andere energieleverancier, @GroeneStroom doet wat ze beloven",
            "nl",
            "positive",
        ),
        ("Never again, whatever the price @SkyHop", "en", "negative"),
        ("Never using another courier again, @ParcelPro is the best", "en", "positive"),
        ("Would recommend @FixItNow to anyone", "en", "positive"),
        ("Would not recommend @FreshBox", "en", "negative"),
        ("Echt een aanrader, @VersBox", "nl", "positive"),
    ],
)
def test_recommendations(text: str, lang: str, label: str) -> None:
    assert sentiment(text, lang).label == label


@pytest.mark.parametrize(
    ("news", "complaint", "lang"),
    [
        (
            "FibreNet reports an outage in Utrecht, engineers expect a fix by 6pm.",
            "Outage again, third time this week @FibreNet",
            "en",
        ),
        (
            "StreamBox raises prices by 2 euros from March, the company said.",
            "Raised my price again @StreamBox",
            "en",
        ),
        (
            "@GlasNet meldt een storing in Amersfoort",
            "Al drie uur een storing bij mij @GlasNet",
            "nl",
        ),
        (
            "Het personeel van @NSReizen staakt donderdag, meldt de vakbond.",
            "Weer staking bij @NSReizen, ik kom nooit op tijd op mijn werk",
            "nl",
        ),
    ],
)
def test_news_about_a_problem_is_neutral_a_complaint_is_not(
    news: str, complaint: str, lang: str
) -> None:
    assert sentiment(news, lang) == Sentiment("neutral", 0.0)
    assert sentiment(complaint, lang).label == "negative"


def test_a_problem_in_a_post_that_praises_is_background() -> None:
    text = "Top marks to the crew, kept everyone informed during the delay"
    assert sentiment(text, "en").label == "positive"


def test_a_plain_question_about_a_problem_asks_for_information() -> None:
    assert sentiment("What happens if my parcel is damaged?", "en").label == "neutral"
    assert sentiment("Why is my parcel damaged again?", "en").label == "negative"
    assert sentiment("Wat als mijn vlucht geannuleerd wordt?", "nl").label == "neutral"


def test_a_solved_problem_is_good_news() -> None:
    assert sentiment("My gaming lag is gone since the new router", "en").label == "positive"
    assert sentiment("De storing was binnen een uur verholpen, top!", "nl").label == "positive"
    assert sentiment("The lag is not gone at all", "en").label == "negative"


def test_a_salutation_is_no_praise_but_a_superlative_is() -> None:
    assert sentiment("Beste @ReisNu, waar blijft mijn geld?", "nl").label == "negative"
    assert sentiment("Beste klantenservice ooit, @Telfort2", "nl").label == "positive"


def test_english_superlatives_are_found() -> None:
    assert list(english_stems("friendliest")) == ["friendly"]
    assert "rude" in english_stems("rudest")
    assert "big" in english_stems("biggest")
    assert list(english_stems("latest")) == []


def test_tokenizer_keeps_numbers_and_marks_quotes() -> None:
    tokens = tokenize("Bedankt voor de 'snelle' levering om 10 uur, 10/10! Da's 's ochtends")
    assert [t.lower for t in tokens if t.kind == NUM] == ["10", "10/10"]
    assert [t.lower for t in tokens if t.quoted] == ["snelle"]
