"""The standardizers' tables, read from the data files in data/ beside this module.

Vocabulary that a maintainer extends (regions, legal forms, industry words, countries,
units, ...) is data, not code: each file says its format in its header comment. The
modules read their tables once, at import. `importlib.resources` finds the files in a
source tree and in an installed package alike.
"""

from __future__ import annotations

from importlib.resources import files

import yaml


def _read_text(name: str) -> str:
    return (files("mdm.standardize") / "data" / name).read_text(encoding="utf-8")


def read_lines(name: str) -> list[str]:
    """The entries of the plain-text table `name`, one a line, stripped; blank lines and
    comment lines (starting with "#") are skipped."""
    lines = (line.strip() for line in _read_text(name).splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def read_strings(name: str) -> list[str]:
    """The YAML list of strings `name`; anything else fails loudly (an unquoted `null`
    would otherwise become None and silently drop out)."""
    entries = yaml.safe_load(_read_text(name))
    if not isinstance(entries, list) or not all(isinstance(entry, str) for entry in entries):
        raise ValueError(f"mdm/standardize/data/{name}: expected a list of quoted strings")
    return entries
