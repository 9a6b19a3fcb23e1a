"""The spam filter: content from accounts that have not yet earned trust is scored, and held past a threshold."""
import re
import unicodedata
from collections import Counter
from datetime import timedelta

from flask import current_app

from challenges import clock
from challenges.models import User

LINK = re.compile(r"https?://|www\.", re.IGNORECASE)
WORD = re.compile(r"\w+", re.UNICODE)
RUN = re.compile(r"(.)\1{9,}")
# Phrases that mark spam, lower-cased without accents: English, French, German, Spanish, Italian, Portuguese.
PHRASES = (
    "buy now", "click here", "limited offer", "free money", "earn money fast", "make money online",
    "work from home", "100% free", "risk free", "casino", "viagra", "cialis", "crypto giveaway", "double your",
    "payday loan", "cheap followers", "seo services", "weight loss", "act now", "winner you have been selected",
    "acheter maintenant", "achetez maintenant", "cliquez ici", "gagnez de l'argent", "argent facile",
    "gagner de l'argent", "offre limitee", "gratuit a 100", "credit rapide", "sans risque", "perdre du poids", "travail a domicile",
    "jetzt kaufen", "hier klicken", "schnelles geld", "kostenlos testen", "geld verdienen",
    "compra ahora", "haz clic aqui", "dinero facil", "gana dinero", "oferta limitada",
    "compra ora", "clicca qui", "soldi facili", "guadagna soldi",
    "compre agora", "clique aqui", "dinheiro facil", "ganhe dinheiro",
)
SHINGLE = 3


def _plain(text: str) -> str:
    """Lower-case text without accents, so that 'Cliquez ICI' and 'cliquez ici' read alike."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def trusted(author: User) -> bool:
    """Platform admins, and accounts older than SPAM_TRUST_AFTER_DAYS, are not filtered."""
    age = clock.now() - author.created_at
    return author.is_admin or age >= timedelta(days=current_app.config["SPAM_TRUST_AFTER_DAYS"])


def signals(text: str, earlier: list[str]) -> dict[str, int]:
    """Why the text looks like spam, each reason with its weight: links, phrases, repetition, copies."""
    plain = _plain(text)
    words = WORD.findall(plain)
    found = {f"phrase: {phrase}": 2 for phrase in PHRASES if phrase in plain}
    links = len(LINK.findall(text))
    if links > 2:
        found[f"links: {links}"] = links - 2
    if len(words) >= 8 and any(_similarity(words, WORD.findall(_plain(other))) >= 0.8 for other in earlier):
        found["near-duplicate of earlier content"] = 3
    return found | _repetition(text, words)


def _repetition(text: str, words: list[str]) -> dict[str, int]:
    found = {}
    counts = Counter(word for word in words if len(word) > 2)
    if len(words) >= 20 and counts and counts.most_common(1)[0][1] / len(words) > 0.3:
        found[f"repeated word: {counts.most_common(1)[0][0]}"] = 2
    if RUN.search(text):
        found["repeated characters"] = 1
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) >= 3 and Counter(lines).most_common(1)[0][1] >= 3:
        found["repeated lines"] = 2
    letters = [ch for ch in text if ch.isalpha()]
    if len(letters) >= 20 and sum(ch.isupper() for ch in letters) / len(letters) > 0.7:
        found["shouting"] = 1
    return found


def _similarity(words: list[str], other: list[str]) -> float:
    """Jaccard similarity of the two texts' three-word shingles."""
    mine, theirs = _shingles(words), _shingles(other)
    return len(mine & theirs) / len(mine | theirs) if mine and theirs else 0.0


def _shingles(words: list[str]) -> set[tuple]:
    return {tuple(words[i:i + SHINGLE]) for i in range(max(len(words) - SHINGLE + 1, 0))}


def applies_to(author: User) -> bool:
    """Whether the author's content is filtered: the filter is on and the author not yet trusted."""
    return current_app.config["SPAM_FILTER_ENABLED"] and not trusted(author)


def reasons_to_hold(text: str, earlier: list[str]) -> list[str]:
    """The reasons to hold this content, or none when it may be published at once."""
    found = signals(text, earlier)
    return sorted(found) if sum(found.values()) >= current_app.config["SPAM_THRESHOLD"] else []
