"""The spam filter: content from accounts that have not yet earned trust is scored, and held past a threshold."""
import re
import unicodedata
from bisect import bisect_left, bisect_right
from collections import Counter
from datetime import timedelta

from flask import current_app

from challenges import clock
from challenges.models import User
from challenges.services import spam_terms

LINK = re.compile(r"https?://|www\.", re.IGNORECASE)
WORD = re.compile(r"\w+", re.UNICODE)
RUN = re.compile(r"(.)\1{9,}")
NOT_ASCII_LETTER = bytes(b for b in range(256) if not chr(b).isascii() or not chr(b).isalpha())
NOT_ASCII_CAPITAL = bytes(b for b in range(256) if not chr(b).isascii() or not chr(b).isupper())
SHINGLE = 3

# Folding: what a spammer varies to slip past a word list reads as the word itself.
MARKS = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")  # accents, once decomposed
INVISIBLE = re.compile("[\u00ad\u200b-\u200f\u2060\ufeff]")  # soft hyphens and zero-width characters inside words
LOOKALIKES = str.maketrans("асеорхуіјѕԁοαικνρ", "aceopxyijsdoaikvp")  # Cyrillic and Greek letters drawn like Latin ones
# Letters spaced out with one separator throughout, "v i a g r a" or "v.i.a.g.r.a": a change of separator ends a word.
SPACED = re.compile(r"(?<![a-z0-9@$])[a-z0-9@$]( |[.\-*/|+~] ?)(?:[a-z0-9@$]\1)+[a-z0-9@$](?![a-z0-9@$])")
SEPARATOR = re.compile(r"[ .\-*/|+~]")
LEET_RUN = re.compile(r"[0-9@$]+")  # read as letters where they touch one: v1agra, l0west, c1al1s
LEET = str.maketrans("013457@$", "oieastas")

# Offers: a category term (what spam sells) with cues (how it sells it) close by: sales copy puts them side by side
# ("cheap Cialis", "Viagra sans ordonnance"), where an honest text's price or delivery is about something else.
# Rules rather than a model trained on tests/spam_corpus: models did no better on its held-out texts, cost several
# times as much per text, and could not tell the moderation queue why they held something.
REACH = 120  # characters from a term to the start of a cue that counts
OFFER, HINT, PHRASE = 3, 1, 2  # weights: an offer holds at the default threshold; one weak cue only adds to others
WEAK_NEEDED = {"category": 2, "broad": 3}  # kinds of weak cues that make an offer without a strong one
STRONG = {category: frozenset(pitch["strong"]) for category, pitch in spam_terms.PITCH.items()}
WEAK = {category: frozenset(pitch["weak"]) for category, pitch in spam_terms.PITCH.items()}
PHONE = re.compile(r"(?<![\w+])(?:\+\d{1,3}|\(\d{1,4}\)|0\d)[\d\s().\-]{6,16}\d")
# "Earn $300 a day", "gagnez 500 € par jour", "ganhe 5% ao dia": an earnings verb, an amount, and a period.
PROMISE = re.compile(
    r"\b(?:earn|make|made|gagne|gana|ganhe|verdien|guadagn|invest)\w*\W+(?:\w+\W+){0,2}?"
    r"(?:[$€£]\s?\d[\d.,]*|\d[\d.,]*\s?(?:%|[$€£]|euros?|dollars?|usd|eur|usdt))\s*"
    r"(?:(?:(?:per|a|an|par|al|ao|by|each|every|chaque|cada|pro|ogni|au|por)\s+)?"
    r"(?:day|week|month|jour|semaine|mois|dia|semana|mes|tag|woche|monat|giorno|settimana|mese)s?\b"
    r"|daily|weekly|quotidien|diari|taglich|giornalier|semanal|hebdomadaire)")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.\w[\w.-]*")
CHAT_LINK = re.compile(r"\b(?:wa|t)\.me/")


def _bare(text: str) -> str:
    """The text without accents or invisible characters, so that 'Prêt' reads 'Pret'; capitals are kept."""
    return text if text.isascii() else MARKS.sub("", unicodedata.normalize("NFKD", INVISIBLE.sub("", text)))


def _plain(text: str) -> str:
    """Lower-case text without accents or look-alike letters, so that 'Cliquez ICI' and 'cliquez ici' read alike."""
    return _lowered(_bare(text))


def _lowered(bare: str) -> str:
    plain = bare.casefold()
    return plain if plain.isascii() else plain.translate(LOOKALIKES)


def _folded(plain: str, words: list[str]) -> str:
    """Plain text with spaced-out letters joined and leetspeak read as letters: 'V 1 @ g r a' reads 'viagra'.

    The length stays that of the plain text, so that positions found in either agree. A '1' stands for an 'i' or an
    'l', so every 'l' is read as an 'i', here and in the terms, which are folded the same way."""
    if _spaced_out(words):  # joining is the slowest step, and rarely needed
        plain = SPACED.sub(lambda m: SEPARATOR.sub("", m.group()).ljust(len(m.group())), plain)
    return LEET_RUN.sub(_leet, plain).replace("l", "i")


def _spaced_out(words: list[str]) -> bool:
    """Whether three one-character words follow each other, as in 'v i a g r a'."""
    return b"\x01\x01\x01" in bytes(map((1).__eq__, map(len, words)))


def _leet(match: re.Match) -> str:
    text, start, end = match.string, match.start(), match.end()
    touches = (start and text[start - 1].isalpha()) or (end < len(text) and text[end].isalpha())
    return match.group().translate(LEET) if touches else match.group()


def _key(text: str) -> str:
    return " ".join(WORD.findall(text))


def _lexicon() -> dict[str, set[tuple[str, str]]]:
    """Each folded term, with what it signals: (group, name), group being category, broad, cue or phrase."""
    lexicon: dict[str, set[tuple[str, str]]] = {}
    tables = (("category", spam_terms.CATEGORIES), ("broad", spam_terms.BROAD), ("cue", spam_terms.CUES))
    for group, table in tables:
        for name, languages in table.items():
            for term in (term for terms in languages.values() for term in terms):
                lexicon.setdefault(_term_key(term), set()).add((group, name))
    for phrase in (phrase for phrases in spam_terms.PHRASES.values() for phrase in phrases):
        lexicon.setdefault(_term_key(phrase), set()).add(("phrase", phrase))
    return lexicon


def _term_key(term: str) -> str:
    plain = _plain(term)
    return _key(_folded(plain, WORD.findall(plain)))


def _trie(keys) -> str:
    """One regular expression for all the keys, shared prefixes factored out: its cost barely grows with the lists."""
    root: dict = {}
    for key in keys:
        node = root
        for ch in key:
            node = node.setdefault(ch, {})
        node[""] = {}
    return _branches(root)


def _branches(node: dict) -> str:
    branches = [(r"[\W_]+" if ch == " " else re.escape(ch)) + _branches(child)
                for ch, child in sorted(node.items()) if ch]
    if not branches:
        return ""
    group = branches[0] if len(branches) == 1 else f"(?:{'|'.join(branches)})"
    if "" not in node:
        return group
    return f"(?:{group})?" if len(branches) == 1 else f"{group}?"


LEXICON = _lexicon()
TERMS = re.compile(rf"\b(?:{_trie(LEXICON)})s?\b")  # a term, or its plural in -s


def trusted(author: User) -> bool:
    """Platform admins, and accounts older than SPAM_TRUST_AFTER_DAYS, are not filtered."""
    age = clock.now() - author.created_at
    return author.is_admin or age >= timedelta(days=current_app.config["SPAM_TRUST_AFTER_DAYS"])


def signals(text: str, earlier: list[str]) -> dict[str, int]:
    """Why the text looks like spam, each reason with its weight: offers, phrases, links, repetition, copies."""
    bare = _bare(text)
    plain = _lowered(bare)
    words = WORD.findall(plain)
    found = _offers(plain, _folded(plain, words))
    links = len(LINK.findall(text))
    if links > 2:
        found[f"links: {links}"] = links - 2
    if len(words) >= 8 and _copies(words, earlier):
        found["near-duplicate of earlier content"] = 3
    return found | _repetition(bare, words)


def _offers(plain: str, folded: str) -> dict[str, int]:
    """Phrases spam uses whatever it sells, and offers: what it sells (a medicine, a casino, a loan...) next to
    how (no prescription, cheap, delivered, a WhatsApp number...). A category term alone is an honest mention."""
    found, terms, cues = {}, [], []
    for match in TERMS.finditer(folded):
        key = _key(match.group())
        for group, name in LEXICON.get(key) or LEXICON.get(key[:-1], ()):
            if group == "phrase":
                found[f"phrase: {name}"] = PHRASE
            elif group == "cue":
                cues.append((match.start(), name))
            else:
                terms.append((match.start(), match.end(), group, name))
    if not terms:
        return found
    cues = sorted(cues + _contacts(plain))
    starts = [start for start, _ in cues]
    near: dict[tuple[str, str], set[str]] = {}
    for start, end, group, category in terms:
        window = cues[bisect_left(starts, start - REACH):bisect_right(starts, end + REACH)]
        near.setdefault((group, category), set()).update(cue for _, cue in window)
    offers: dict[str, tuple[int, set[str]]] = {}  # a category's heavier offer, of its named terms or its broad ones
    for (group, category), kinds in near.items():
        if (weight := _weight(group, category, kinds)) > offers.get(category, (0,))[0]:
            offers[category] = weight, kinds & (STRONG[category] | WEAK[category])
    for category, (weight, counted) in offers.items():
        found[f"offer: {category} ({', '.join(sorted(counted))})"] = weight
    return found


def _contacts(plain: str) -> list[tuple[int, str]]:
    """Cues that word lists cannot hold: phone numbers, earnings per day, chat links, email addresses, links."""
    found = [(m.start(), "phone number") for m in PHONE.finditer(plain) if sum(map(str.isdigit, m.group())) >= 8]
    found += [(m.start(), "promised gains") for m in PROMISE.finditer(plain)]
    found += [(m.start(), "messaging app") for m in CHAT_LINK.finditer(plain)]
    found += [(m.start(), "email address") for m in EMAIL.finditer(plain)]
    return found + [(m.start(), "link") for m in LINK.finditer(plain)]


def _weight(group: str, category: str, cues: set[str]) -> int:
    """An offer when a strong cue, or enough kinds of weak ones, stand by the term; a hint when one weak cue does.
    The ways of getting in touch count as one kind: an honest call for entries has a link, an address and 'join'."""
    weak = len({spam_terms.CONTACT.get(cue, cue) for cue in cues & WEAK[category]})
    if cues & STRONG[category] or weak >= WEAK_NEEDED[group]:
        return OFFER
    return HINT if weak and group == "category" else 0


def _copies(words: list[str], earlier: list[str]) -> bool:
    """Whether the text is a near-duplicate of one of the earlier ones: its shingles are computed once."""
    mine = _shingles(words) if earlier else set()
    return any(_similarity(mine, _shingles(WORD.findall(_plain(other)))) >= 0.8 for other in earlier)


def _repetition(text: str, words: list[str]) -> dict[str, int]:
    """Repeated words, characters and lines, and shouting, in the text once its accents are off."""
    found = {}
    counts = Counter(word for word in words if len(word) > 2)
    if len(words) >= 20 and counts and counts.most_common(1)[0][1] / len(words) > 0.3:
        found[f"repeated word: {counts.most_common(1)[0][0]}"] = 2
    if RUN.search(text):
        found["repeated characters"] = 1
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) >= 3 and Counter(lines).most_common(1)[0][1] >= 3:
        found["repeated lines"] = 2
    if _shouting(text):
        found["shouting"] = 1
    return found


def _shouting(text: str) -> bool:
    """Whether most of the letters are capitals: counted on bytes, which is far quicker, when the text is ASCII."""
    if text.isascii():
        raw = text.encode()
        letters, capitals = len(raw.translate(None, NOT_ASCII_LETTER)), len(raw.translate(None, NOT_ASCII_CAPITAL))
    else:
        letters, capitals = sum(map(str.isalpha, text)), sum(map(str.isupper, text))
    return letters >= 20 and capitals / letters > 0.7


def _similarity(mine: set[tuple], theirs: set[tuple]) -> float:
    """Jaccard similarity of two texts' three-word shingles."""
    return len(mine & theirs) / len(mine | theirs) if mine and theirs else 0.0


def _shingles(words: list[str]) -> set[tuple]:
    return set(zip(*(words[i:] for i in range(SHINGLE))))


def applies_to(author: User) -> bool:
    """Whether the author's content is filtered: the filter is on and the author not yet trusted."""
    return current_app.config["SPAM_FILTER_ENABLED"] and not trusted(author)


def reasons_to_hold(text: str, earlier: list[str]) -> list[str]:
    """The reasons to hold this content, or none when it may be published at once."""
    found = signals(text, earlier)
    return sorted(found) if sum(found.values()) >= current_app.config["SPAM_THRESHOLD"] else []
