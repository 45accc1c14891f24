"""Text features shared by the domains: folding, pinyin, sound keys of transliterations.

Pure functions with bounded caches: names, cities and brands repeat heavily across records.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import pypinyin
from pypinyin import lazy_pinyin
from pypinyin.constants import PINYIN_DICT

CJK_RE = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
LATIN_WORD_RE = re.compile(r"[a-z0-9]+")
NON_ALNUM_RE = re.compile(r"[\W_]+")


def fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def has_cjk(text: str) -> bool:
    return CJK_RE.search(text) is not None


@lru_cache(maxsize=65536)
def pinyin(text: str, by_char: bool = False) -> str:
    """Toneless pinyin of `text`, letters and digits only ("厦门" → "xiamen"); Latin text is
    folded and kept. By default words are read with pypinyin's phrase dictionary (place
    and person names); `by_char` reads each character on its own (brands are not words)."""
    folded = fold(text)
    if not has_cjk(folded):
        return NON_ALNUM_RE.sub("", folded)
    return NON_ALNUM_RE.sub("", "".join(char_syllables(folded) if by_char else lazy_pinyin(folded)))


@lru_cache(maxsize=65536)
def char_syllables(text: str) -> tuple[str, ...]:
    """Each Chinese character of `text` read on its own, other characters as they are."""
    return tuple(lazy_pinyin(char)[0] if CJK_RE.match(char) else char for char in fold(text))


HETERONYM_READINGS = 2  # readings per character: 晟 is cheng or sheng, 长 chang or zhang
HETERONYM_VARIANTS = 8  # readings per text at most


def pinyin_variants(text: str) -> list[str]:
    """The phrase and character-by-character readings, and those with a character's other
    common reading (宏晟 → hongcheng, hongsheng: a company's own English name follows
    the reading it uses, not the dictionary's first), distinct and sorted."""
    readings = {pinyin(text), pinyin(text, by_char=True)}
    folded = fold(text)
    if has_cjk(folded) and len(folded) <= 6:
        combos = [""]
        for char in folded:
            options = _char_readings(char) if CJK_RE.match(char) else (NON_ALNUM_RE.sub("", char),)
            combos = [c + o for c in combos for o in options][: HETERONYM_VARIANTS]
        readings.update(combos)
    return sorted(readings - {""})


@lru_cache(maxsize=65536)
def _char_readings(char: str) -> tuple[str, ...]:
    found = pypinyin.pinyin(char, style=pypinyin.Style.NORMAL, heteronym=True)[0]
    return tuple(dict.fromkeys(found[:HETERONYM_READINGS]))


# Foreign names in Chinese are transliterated syllable by syllable (施耐德 / Schneider, 菲舍尔 /
# Fischer, 西门子 / Siemens). Their sound keys compare the consonants both spellings keep:
# sounds a transliteration renders alike share a class, a syllable-final nasal belongs to
# the vowel before it (门 men, 生 sheng), an r before a consonant is not written (马丁 /
# Martin), and a final -r or -l may or may not be (施耐德 / Schneider, 菲舍尔 / Fischer).
_PINYIN_CLASS = {
    "zh": "S", "ch": "S", "sh": "S", "b": "B", "p": "B", "d": "D", "t": "D", "g": "G", "k": "G",
    "h": "H", "f": "F", "w": "F", "m": "M", "n": "N", "l": "L", "r": "L",
    "j": "S", "q": "S", "x": "S", "z": "S", "c": "S", "s": "S",
}
_LATIN_SOUND_RE = re.compile(r"tsch|sch|sh|ch|ph|th|ck|qu|tz|ts|[a-z]")
_LATIN_CLASS = {
    "tsch": "S", "sch": "S", "sh": "S", "ch": "S", "ph": "F", "th": "D", "ck": "G", "qu": "G",
    "tz": "S", "ts": "S", "b": "B", "p": "B", "d": "D", "t": "D", "c": "G", "g": "G", "k": "G", "q": "G",
    "x": "GS", "s": "S", "z": "S", "j": "S", "f": "F", "v": "F", "w": "F", "m": "M", "n": "N",
    "l": "L", "r": "R", "h": "H",
}
_VOWELS = frozenset("aeiouy")


def _sound_variants(classes: list[str]) -> list[str]:
    """The key and, when it ends in L, the key without it; keys under 2 sounds are dropped."""
    key = "".join(classes)
    keys = {key, key[:-1]} if key.endswith("L") else {key}
    return sorted(k for k in keys if len(k) >= 2)


def _pinyin_sound(text: str) -> list[str]:
    classes: list[str] = []
    for syllable in char_syllables(text):
        if syllable == "er":
            classes.append("L")
            continue
        initial = syllable[:2] if syllable[:2] in _PINYIN_CLASS else syllable[:1]
        # y and vowel-initial syllables add no consonant; 保时捷 / Porsche: one S
        if initial in _PINYIN_CLASS and not (classes and classes[-1] == _PINYIN_CLASS[initial]):
            classes.append(_PINYIN_CLASS[initial])
    return _sound_variants(classes)


def _latin_sound(word: str) -> list[str]:
    tokens = _LATIN_SOUND_RE.findall(word)
    classes: list[str] = []
    previous_consonant = False
    for i, token in enumerate(tokens):
        following = tokens[i + 1] if i + 1 < len(tokens) else ""
        if token in _VOWELS:
            previous_consonant = False
            continue
        sound = _LATIN_CLASS.get(token, "")
        if token == "c" and following[:1] in ("e", "i", "y"):
            sound = "S"
        elif token == "ch" and not following:
            sound = "H"  # Bach: 巴赫
        elif token == "h" and i > 0:
            sound = ""  # Köhler: silent after a vowel; after a consonant part of it
        elif token in ("n", "m") and i > 0 and following not in _VOWELS:
            sound = ""  # the nasal final of the syllable before
        elif token == "r":
            sound = "L" if following in _VOWELS or not following else ""
        for c in sound:
            if not (previous_consonant and classes and classes[-1] == c):
                classes.append(c)
        previous_consonant = bool(sound) or previous_consonant
    return _sound_variants(classes)


@lru_cache(maxsize=65536)
def sound_keys(brand: str) -> tuple[str, ...]:
    """Consonant keys of a brand for comparing it with its transliteration in the other
    script: 施耐德 and Schneider both give "SND", 菲舍尔 and Fischer "FSL"."""
    if has_cjk(brand):
        return tuple(_pinyin_sound(brand))
    return tuple(_latin_sound(NON_ALNUM_RE.sub("", fold(brand))))


@lru_cache(maxsize=1)
def _syllables() -> frozenset[str]:
    """Every toneless pinyin syllable (ü as v) with a vowel, from pypinyin's dictionary."""
    found = set()
    for readings in PINYIN_DICT.values():
        for reading in readings.split(","):
            plain = "".join(c for c in unicodedata.normalize("NFD", reading.replace("ü", "v"))
                            if not unicodedata.combining(c))
            if any(v in plain for v in "aeiouv"):
                found.add(plain)
    return frozenset(found)


@lru_cache(maxsize=65536)
def reads_as_pinyin(word: str) -> bool:
    """Whether `word` splits into pinyin syllables ("huawei", "hongyilei"; not "weber")."""
    syllables = _syllables()
    ends = {0}
    for end in range(1, len(word) + 1):
        if any(start in ends and word[start:end] in syllables for start in range(max(0, end - 6), end)):
            ends.add(end)
    return len(word) in ends


def text_of(row: Mapping[str, Any], key: str) -> str | None:
    """A row's value as stripped text; None when missing or empty (NaN from pandas too)."""
    value = row.get(key)
    if value is None or value != value:  # NaN from pandas
        return None
    value = str(value).strip()
    return value or None
