"""The spam filter on its own: what it holds and what it lets through, in six languages, and how well it does on a
labelled corpus. The HTTP side (held content, the queue) is in test_moderation.py."""
import json
import time
from collections import Counter
from pathlib import Path

import pytest

from challenges.services import spam, spam_terms

CORPUS = Path(__file__).parent / "spam_corpus"
LANGUAGES = {"en", "fr", "es", "de", "it", "pt"}
# Floors at what the filter reaches: tuning.jsonl is what the rules were tuned on; held_out.jsonl was written before
# them and never tuned on, so its figures are the honest estimate.
FLOORS = {"tuning": (0.96, 0.98), "held_out": (0.94, 0.94)}  # (precision, recall)


def corpus(name):
    with open(CORPUS / f"{name}.jsonl", encoding="utf-8") as lines:
        return [json.loads(line) for line in lines]


def measure(app, name):
    """Precision and recall of holding on a corpus file; they are printed with the texts it got wrong."""
    with app.app_context():
        rows = [(row, bool(spam.reasons_to_hold(row["text"], []))) for row in corpus(name)]
    caught = sum(held for row, held in rows if row["label"] == "spam")
    wrongly = [row["text"] for row, held in rows if held != (row["label"] == "spam")]
    precision = caught / max(sum(held for _, held in rows), 1)
    recall = caught / sum(row["label"] == "spam" for row, _ in rows)
    print(f"{name}: precision {precision:.3f}, recall {recall:.3f} on {len(rows)} texts; wrong: {wrongly}")
    return precision, recall


@pytest.mark.parametrize("name", FLOORS)
def test_filter_scores_corpus_above_floors(app, name):
    precision, recall = measure(app, name)
    least_precision, least_recall = FLOORS[name]
    assert precision >= least_precision and recall >= least_recall, (precision, recall)


def test_corpus_covers_six_languages_both_labels_and_keeps_held_out_apart():
    tuning, held_out = corpus("tuning"), corpus("held_out")
    for rows, least in ((tuning, 40), (held_out, 15)):
        labels = Counter(row["label"] for row in rows)
        assert labels.keys() == {"spam", "legitimate"} and min(labels.values()) >= least, labels
        assert {row["language"] for row in rows} == LANGUAGES
        assert {row["language"] for row in rows if row["label"] == "spam"} == LANGUAGES
        languages = Counter(row["language"] for row in rows)
        assert languages["en"] + languages["fr"] > len(rows) / 2  # mostly the languages the platform hears most
    assert not {row["text"] for row in tuning} & {row["text"] for row in held_out}


def listed():
    """Every term of the lists, with the kind the filter should find it as."""
    for group, table in (("category", spam_terms.CATEGORIES), ("broad", spam_terms.BROAD), ("cue", spam_terms.CUES)):
        for name, languages in table.items():
            yield from ((term, (group, name)) for terms in languages.values() for term in terms)
    yield from ((phrase, ("phrase", phrase)) for phrases in spam_terms.PHRASES.values() for phrase in phrases)


def test_filter_finds_every_listed_term_as_what_it_is():
    missed = []
    for term, kind in listed():
        plain = spam._plain(term)
        match = spam.TERMS.fullmatch(spam._folded(plain, spam.WORD.findall(plain)))
        if not match or kind not in spam.LEXICON[spam._key(match.group())]:
            missed.append(term)
    assert missed == []


def test_pitches_name_only_known_categories_and_cues():
    found_by_shape = {"phone number", "email address", "link", "messaging app"}
    assert spam_terms.PITCH.keys() == spam_terms.CATEGORIES.keys() >= spam_terms.BROAD.keys()
    for pitch in spam_terms.PITCH.values():
        assert set(pitch["strong"]) | set(pitch["weak"]) <= spam_terms.CUES.keys() | found_by_shape
        assert not set(pitch["strong"]) & set(pitch["weak"])


DISGUISES = [  # "viagra sans ordonnance", as spam writes it
    "v1@gr@ s@ns 0rd0nn@nce", "V I A G R A sans ordonnance", "v.i.a.g.r.a s.a.n.s o.r.d.o.n.n.a.n.c.e",
    "v-i-a-g-r-a sans ordonnance", "v 1 a g r a sans ordonnance", "vi\u0430gr\u0430 sans ordonnance",  # Cyrillic a
    "vi\u200bag\u00adra sans ordonnance", "\uff56\uff49\uff41\uff47\uff52\uff41 sans ordonnance",  # fullwidth
    "víágrà sans ordonnance", "Viagra SANS-ORDONNANCE", "viagra sans\nordonnance", "Viagras. Sans ordonnance !",
]


@pytest.mark.parametrize("text", DISGUISES)
def test_filter_reads_disguised_words_as_words(text):
    assert spam.signals(text, [])["offer: medicine (no prescription)"] == spam.OFFER


OFFERS = [  # language, spam, a reason the filter gives
    ("en", "Buy Tramadol online, cheap overnight delivery.", "offer: medicine (cheap, delivery, purchase)"),
    ("en", "Payday loan approved today, no credit check.", "offer: loan (no credit check)"),
    ("fr", "Acheter du Cialis en ligne, livraison discrète.", "offer: medicine (delivery, purchase)"),
    ("fr", "Paris sportifs : gains garantis chaque week-end, rejoins-nous sur Telegram.",
     "offer: gambling (call to action, messaging app, promised gains)"),
    ("fr", "Prêt entre particuliers rapide, écrivez-moi : jean.pret@example.com",
     "offer: loan (call to action, email address, fast)"),
    ("es", "Comprar Viagra sin receta, envío rápido.", "offer: medicine (delivery, no prescription, purchase)"),
    ("de", "Cialis billig kaufen, diskreter Versand.", "offer: medicine (cheap, delivery, purchase)"),
    ("it", "Casinò online: bonus senza deposito, gioca subito https://casino.example",
     "offer: gambling (bonus, call to action, link)"),
    ("pt", "Invista em bitcoin com lucro garantido, fale comigo no WhatsApp.",
     "offer: crypto scheme (call to action, earnings, messaging app, promised gains)"),
    ("en", "Hot singles tonight, free chat: https://hot.example", "offer: adult (free, link)"),
]


@pytest.mark.parametrize("language, text, reason", OFFERS)
def test_filter_holds_category_offered_with_cues(app, language, text, reason):
    with app.app_context():
        assert reason in spam.reasons_to_hold(text, [])


MENTIONS = [  # language, an honest text that names what spam sells, or how it sells
    ("en", "We model how quickly patients on tramadol develop tolerance, using anonymised records from 12 clinics."),
    ("en", "A smart-contract audit of a token sale: an attacker could buy tokens below the listed price; fix inside."),
    ("en", "Our bike-sharing pricing makes off-peak rides cheap; riders buy monthly passes in the app."),
    ("fr", "Nous mesurons l'effet du sildénafil sur l'hypertension pulmonaire chez 300 patients suivis deux ans."),
    ("fr", "Les médicaments commandés par les pharmacies sont livrés en moins de quatre heures, en express si urgent."),
    ("fr", "Nous étudions les cotes des paris sportifs pour estimer la marge des bookmakers."),
    ("fr", "Le jeu de données est prêt ; contactez-nous par mail à equipe@labo.example, réponse rapide."),
    ("en", "For credit scoring questions, contact us at data@bank.example; we reply fast."),
    ("en", "Loan default risk: predict which loans default. Data at https://example.org, join our Telegram group."),
    ("en", "Casino fraud detection: find cheating at blackjack tables; free dataset, join us at https://example.org"),
    ("es", "Auditoría de una billetera de bitcoin: dos fallos en la generación de claves, con sus correcciones."),
    ("de", "Wir optimieren die Lieferung von Medikamenten an Apotheken und sparen 15 % der Fahrstrecke."),
    ("it", "Analizziamo le quote delle scommesse sportive per misurare il margine dei bookmaker."),
    ("pt", "Propomos um sistema de entrega de medicamentos para farmácias do interior, com menor custo."),
]


@pytest.mark.parametrize("language, text", MENTIONS)
def test_filter_lets_category_term_alone_through(app, language, text):
    with app.app_context():
        assert spam.reasons_to_hold(text, []) == []


@pytest.mark.parametrize("text, found", [
    ("Cheap Viagra.", {"offer: medicine (cheap)": spam.HINT}),  # a named thing and one weak cue: a hint only
    ("Cheap Viagra, discreet delivery.", {"offer: medicine (cheap, delivery)": spam.OFFER}),
    ("Cheap pills, discreet delivery.", {}),  # a broad word needs more
    ("Pills without a prescription.", {"offer: medicine (no prescription)": spam.OFFER}),
    ("Buy cheap pills, discreet delivery.", {"offer: medicine (cheap, delivery, purchase)": spam.OFFER}),
    ("Bitcoin: invest now, join our group on Telegram https://x.example", {}),  # ways to get in touch count once
    ("Bitcoin: earn 2% a day, join our group on Telegram.",
     {"offer: crypto scheme (call to action, earnings, messaging app, promised gains)": spam.OFFER}),
    ("Cheap delivery without a prescription, buy now.", {"phrase: buy now": spam.PHRASE}),  # cues selling nothing
    ("Viagra was first studied for angina; its effect on blood flow in the lungs came later, and the trials we "
     "review here ran for two years in four countries, all sans ordonnance", {}),  # the cue is out of reach
    ("Bitcoin price alerts, free and fast, on Telegram.", {}),  # free and fast do not sell crypto schemes
])
def test_filter_weighs_categories_by_their_cues(text, found):
    assert spam.signals(text, []) == found


@pytest.mark.parametrize("text", [
    "", "\u0301" * 1000, "🙂" * 5000, "a " * 20000, "v." * 20000, "1 " * 20000, "+1" + " 2" * 10000, "x@" * 20000,
    "0" * 40000, "l1" * 20000, "ﷺ" * 5000, "مرحبا بالعالم " * 2000, "\x00\ufeff\u200b" * 5000,
])
def test_filter_reads_odd_and_long_text_quickly_without_error(text):
    started = time.perf_counter()
    found = spam.signals(text, [text[:5000]])
    assert not any(reason.startswith("offer") for reason in found), found
    assert time.perf_counter() - started < 2  # linear regular expressions: milliseconds, even on a busy machine
