"""What a source said, as one hash: re-loading unchanged data is recognised by it.

A module of its own, free of models: import workers compute hashes without Django set up.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any


def content_hash(profile: str, raw: Any, deleted: bool) -> str:
    """Hash of what the source said (through which profile). Standardized attributes are
    derived from it, so an unchanged hash means an unchanged record.

    Raises ValueError for what no database can store as JSON: NaN or infinite numbers and
    unpaired surrogates (invalid Unicode)."""
    text = json.dumps(
        [profile, raw, deleted], sort_keys=True, ensure_ascii=False, allow_nan=False, default=str
    )
    return hashlib.sha256(text.encode()).hexdigest()
