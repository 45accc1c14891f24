"""Generic text noise: what people and old systems do to names when they key them.

Each function takes a random.Random and returns a changed copy; none of them change the
entity a record belongs to.
"""

from __future__ import annotations

import random
import re
import unicodedata

from bench.heldout.vocab import CN_TRADE_CHARS, EN_ABBREV

HOMOPHONES = {c: h for c, _, h in CN_TRADE_CHARS}
HOMOPHONES.update(
    {
        "机": "基",
        "械": "诫",
        "技": "计",
        "电": "点",
        "贸": "茂",
        "易": "意",
        "物": "务",
        "流": "留",
        "材": "才",
        "料": "科",
        "司": "斯",
        "限": "线",
        "份": "分",
        "设": "社",
        "备": "各",
        "装": "状",
        "件": "建",
        "化": "华",
    }
)

_KEYBOARD = "qwertyuiop asdfghjkl zxcvbnm".split()


def _neighbours(ch: str) -> str:
    low = ch.lower()
    for row in _KEYBOARD:
        i = row.find(low)
        if i >= 0:
            near = row[max(0, i - 1) : i] + row[i + 1 : i + 2]
            return near.upper() if ch.isupper() else near
    return ""


def typo_word(word: str, rng: random.Random) -> str:
    """One keying error: swap two letters, drop one, double one, or hit a neighbour key."""
    if len(word) < 4:
        return word
    i = rng.randrange(1, len(word) - 1)
    op = rng.random()
    if op < 0.3 and word[i].isalpha() and word[i + 1].isalpha():
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]  # Techonlogy
    if op < 0.5:
        return word[:i] + word[i + 1 :]  # Tecnology
    if op < 0.7:
        return word[:i] + word[i] + word[i:]  # Limitted
    near = _neighbours(word[i])
    return word[:i] + rng.choice(near) + word[i + 1 :] if near else word  # SYSREMS


def typo_text(text: str, rng: random.Random) -> str:
    words = text.split(" ")
    candidates = [i for i, w in enumerate(words) if sum(c.isalpha() for c in w) >= 5]
    if not candidates:
        return text
    i = rng.choice(candidates)
    words[i] = typo_word(words[i], rng)
    return " ".join(words)


def homophone(text: str, rng: random.Random) -> str:
    """The pinyin input method picked the wrong character with the same sound."""
    spots = [i for i, c in enumerate(text) if c in HOMOPHONES]
    if not spots:
        return text
    i = rng.choice(spots[:6])  # errors sit in the trade name and industry word, not the legal form
    return text[:i] + HOMOPHONES[text[i]] + text[i + 1 :]


def fullwidth(text: str, rng: random.Random | None = None, share: float = 1.0) -> str:
    """ASCII letters, digits, brackets as full-width forms (ＡＢＣ１２３（）), as a Chinese IME types them."""
    out = []
    for c in text:
        if "!" <= c <= "~" and (rng is None or rng.random() < share):
            out.append(chr(ord(c) + 0xFEE0))
        elif c == " " and rng is not None and rng.random() < share * 0.5:
            out.append("\u3000")
        else:
            out.append(c)
    return "".join(out)


def brackets(text: str, rng: random.Random) -> str:
    if "（" in text:
        return text.replace("（", "(").replace("）", ")")
    if "(" in text:
        return text.replace("(", "（").replace(")", "）")
    return text


def case(text: str, rng: random.Random) -> str:
    r = rng.random()
    if r < 0.6:
        return text.upper()
    if r < 0.8:
        return text.lower()
    return " ".join(w[:1].upper() + w[1:].lower() for w in text.split(" "))


def spacing(text: str, rng: random.Random) -> str:
    r = rng.random()
    if r < 0.35:
        return text.replace(", ", ",")  # Co.,Ltd.
    if r < 0.55:
        return text.replace(".", "")  # Co, Ltd
    if r < 0.7:
        return re.sub(r" ", "  ", text, count=1)  # double space
    if r < 0.85:
        return text.replace(" & ", "&").replace("-", " ")
    return text.rstrip(".") + (" " if rng.random() < 0.5 else "")


def abbreviate(text: str, rng: random.Random) -> str:
    words = text.split(" ")
    spots = [i for i, w in enumerate(words) if w.strip(",.") in EN_ABBREV]
    if not spots:
        return text
    i = rng.choice(spots)
    bare = words[i].strip(",.")
    words[i] = words[i].replace(bare, rng.choice(EN_ABBREV[bare]))
    return " ".join(words)


def strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def transliterate(text: str, rng: random.Random) -> str:
    """ü -> ue (German way) or -> u (accents dropped), ß -> ss, å -> a, é -> e."""
    if rng.random() < 0.6:
        for a, b in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("Ä", "Ae"), ("Ö", "Oe"), ("Ü", "Ue"), ("ß", "ss")):
            text = text.replace(a, b)
    return strip_accents(text.replace("ß", "ss"))


def drop_spaces(text: str) -> str:
    return text.replace(" ", "")


def cut(text: str, limit: int) -> str:
    return text[:limit].rstrip()
