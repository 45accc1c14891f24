"""A domain's feature columns kept between processes: training computes them and the match
run reads them back (or the other way round) for every record whose content is the same.

    cache = FeatureCache.open(path, names, feature_set)   # None when there is no usable file
    positions = cache.positions(keys)                     # where each key's row is, or None

An entry is keyed by a hash of all a record gives its features (its unique_id, source
system and attributes: `row_key`), and the whole file by the feature code's version (the
source and data files of the feature sets and of standardization, the feature set's own
module, the Python, Unicode and pypinyin versions) and the columns the model reads. A
record that changed, or feature code that changed, is computed again, never served stale.
One file per domain, replaced (atomically) by each table built with a cache, so it holds
the records of the last build only and does not grow. The file is memory-mapped, so it is
only ever replaced (a new file renamed over it), never written in place.
"""

from __future__ import annotations

import hashlib
import importlib
import logging
import marshal
import os
import sys
import tempfile
import time
import unicodedata
from collections.abc import Mapping, Sequence
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

import matching.features
import mdm.standardize

logger = logging.getLogger(__name__)

KEY = "_key"  # the column of each row's key in the file
KEY_TYPE = pa.binary(16)
VERSION = b"mdm_features_version"
THIRD_PARTY = ("pypinyin", "pyarrow")  # what the feature code computes with, beyond the standard library
# a temporary file nobody has written to for this long is a killed writer's: a live one
# writes the table in one go, seconds even for a million records
LEFTOVER_AGE = 3600
MSG_NOT_WRITTEN = "feature cache %s not written (the features are computed each time until it can be): %s"


def row_key(row: Mapping[str, Any]) -> bytes | None:
    """The key of a row's features: a hash of everything the feature function can read
    (an EngineRow's unique_id, source system and attributes; else the row itself). None
    for a value marshal cannot write (not decoded JSON): that row is computed, not cached."""
    content = row.content() if hasattr(row, "content") else row
    try:
        payload = marshal.dumps(content, 2)  # injective: equal bytes only for equal content
    except ValueError:
        return None
    return hashlib.blake2b(payload, digest_size=16).digest()


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts)


@cache
def code_version(feature_set: str, names: tuple[str, ...]) -> bytes:
    """The version of the code that computes a feature set's columns `names`."""
    module = importlib.import_module(feature_set if "." in feature_set else f"matching.features.{feature_set}")
    roots = {Path(matching.features.__file__).parent, Path(mdm.standardize.__file__).parent}
    # matching.tables types the columns the file stores
    files = sorted({*(f for root in roots for f in _files(root)), Path(module.__file__ or "").resolve(),
                    Path(__file__).resolve().with_name("tables.py")})
    digest = hashlib.blake2b(digest_size=16)
    for part in (feature_set, *names, sys.version, unicodedata.unidata_version, *map(_dist_version, THIRD_PARTY)):
        digest.update(part.encode() + b"\0")
    for path in files:
        digest.update(str(path).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest().encode()


def _dist_version(name: str) -> str:
    try:
        return f"{name} {version(name)}"
    except PackageNotFoundError:
        return f"{name} -"


class FeatureCache:
    """The rows of a cache file whose version is the code's (memory-mapped, read only)."""

    def __init__(self, table: pa.Table):
        self.table = table
        self._keys = table.column(KEY).combine_chunks()

    @classmethod
    def open(cls, path: Path, names: Sequence[str], feature_set: str) -> FeatureCache | None:
        """The file's rows when it exists, is readable and was written by this feature
        code for these columns; else None (everything is computed)."""
        try:
            table = pa.ipc.open_file(pa.memory_map(str(path))).read_all()
        except (OSError, pa.ArrowInvalid):
            return None
        wanted = code_version(feature_set, tuple(names))
        if (table.schema.metadata or {}).get(VERSION) != wanted or table.column_names != [*names, KEY]:
            return None
        return cls(table)

    def positions(self, keys: list[bytes | None]) -> list[int | None]:
        """Each key's row in the file, None when it has none."""
        found = pc.index_in(pa.array(keys, type=KEY_TYPE), value_set=self._keys)
        return found.to_pylist()


def cache_write(path: Path, table: pa.Table, keys: list[bytes | None], feature_set: str) -> None:
    """Replace the cache file with `table`'s rows (those with a key), atomically: a reader
    sees the old file or the new one, whole. A file that cannot be written (a read-only
    data directory, a full disk) is left as it was, with a warning: the cache only saves
    time, and its entries are keyed by content, so an old file serves nothing stale."""
    names = tuple(table.column_names)
    keyed = pa.array(keys, type=KEY_TYPE)
    table = table.append_column(KEY, keyed)
    if keyed.null_count:  # a filter copies the table: only when some row has no key
        table = table.filter(pc.is_valid(keyed))
    table = table.replace_schema_metadata({VERSION: code_version(feature_set, names)})
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    except OSError as exc:
        logger.warning(MSG_NOT_WRITTEN, path, exc)
        return
    try:
        with os.fdopen(fd, "wb") as out, pa.ipc.new_file(out, table.schema) as writer:
            writer.write_table(table)
        os.replace(temp, path)
        _remove_leftovers(path)
    except OSError as exc:
        Path(temp).unlink(missing_ok=True)
        logger.warning(MSG_NOT_WRITTEN, path, exc)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _remove_leftovers(path: Path) -> None:
    """Remove the temporary files of writes of `path` that never finished (a process
    killed while it wrote): each is as large as the cache, and nothing else removes them."""
    cutoff = time.time() - LEFTOVER_AGE
    for temp in path.parent.glob(f".{path.name}.*"):
        try:
            if temp.stat().st_mtime < cutoff:
                temp.unlink()
        except OSError:  # another writer removed or renamed it meanwhile
            continue
