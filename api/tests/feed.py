"""A change-feed consumer, as a source system would write one (tests share it)."""

from __future__ import annotations


def replayed_xref(client, domain: str) -> dict[tuple[str, str], str]:
    """The cross-reference rebuilt from the feed from zero: per source record, the golden
    ID of its last `golden.remapped` event (an empty one: it left its golden record)."""
    out: dict[tuple[str, str], str] = {}
    after = 0
    while True:
        page = client.get("/api/v1/changes", {"after": after, "domain": domain, "limit": 1000}).json()
        for event in page["events"]:
            if event["kind"] == "golden.remapped":
                key = (event["system"], event["source_key"])
                if event["golden_id"]:
                    out[key] = event["golden_id"]
                else:
                    out.pop(key, None)
        after = page["last_sequence"]
        if not page["has_more"]:
            return out
