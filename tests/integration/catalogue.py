"""The message catalogues (locales/*.json) as the integration tests read
them: which English words a page or message in another locale must not
show.  Python 3 standard library only."""

import html
import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"\{[a-z0-9_]+\}")
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]")


def load(locale):
    return json.loads((ROOT / "locales" / f"{locale}.json").read_text("utf-8"))


def english_phrases(sections, locale="zh-TW"):
    """The English of the catalogue that locale words differently, as
    phrases: each piece of an en text between its {placeholders} and
    `code` spans, with two letters or more (a list: each of its names).
    What the locale's own text of the same key keeps as it is (API,
    apimon, JSON) is no English word of a page in that locale."""
    en, other = load("en"), load(locale)
    out = set()
    for sec in sections:
        for key, text in en[sec].items():
            texts = text if isinstance(text, list) else [text]
            mine = other[sec].get(key)
            mine = " ".join(mine) if isinstance(mine, list) else mine or ""
            for t in texts:
                # `code` stays code in every locale: drop it.
                t = re.sub(r"`[^`]*`", "\0", t)
                for piece in PLACEHOLDER.sub("\0", t).split("\0"):
                    piece = piece.strip(" .,:;()[]-–—·")
                    if (len(re.findall(r"[A-Za-z]", piece)) >= 2 and
                            piece not in mine):
                        out.add(piece)
    return sorted(out, key=lambda p: (-len(p), p))


def find_english(text, phrases):
    """The phrases that text shows as words of their own (not inside a
    longer word: "Day" is not in "Today")."""
    found = []
    for p in phrases:
        if re.search(r"(?<![A-Za-z0-9_])" + re.escape(p) +
                     r"(?![A-Za-z0-9_])", text):
            found.append(p)
    return found


def visible_text(page, attributes=("aria-label", "title", "alt",
                                   "placeholder")):
    """What a reader sees of an HTML page, and hears of its labels:
    scripts, styles, code and comments removed, tags removed, entities
    decoded; the values of attributes a screen reader speaks appended."""
    labels = re.findall(r'\s(?:%s)="([^"]*)"' % "|".join(attributes), page)
    page = re.sub(r"<(script|style|pre|code)\b.*?</\1>", " ", page,
                  flags=re.S | re.I)
    page = re.sub(r"<!--.*?-->", " ", page, flags=re.S)
    page = re.sub(r"<[^>]+>", " ", page)
    return html.unescape(page + " " + " ".join(labels))


def without(text, exempt):
    """text with every exempt string (data from requests) blanked out,
    longest first, so that a command that holds a UI word does not
    count."""
    for s in sorted({e for e in exempt if e}, key=len, reverse=True):
        text = text.replace(s, " ")
    return text
