"""Write a benchmark's figures into its own section of docs/benchmarks.md."""

import platform
import re
from datetime import UTC, datetime
from pathlib import Path

DOC = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
HEADER = """# Benchmarks

Written by the scripts in `bench/`; each section is replaced when its benchmark runs again.
Machines here are shared and noisy, so each benchmark also measures a baseline in the same
run and reports the ratio.
"""


def write_section(name: str, body: str) -> None:
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else HEADER
    stamp = f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.machine()}, Python {platform.python_version()}"
    section = f"<!-- {name} -->\n## {name}\n\n_Measured {stamp}._\n\n{body.strip()}\n<!-- /{name} -->\n"
    pattern = re.compile(rf"<!-- {re.escape(name)} -->.*?<!-- /{re.escape(name)} -->\n", re.DOTALL)
    text = pattern.sub(lambda _: section, text) if pattern.search(text) else f"{text}\n{section}"
    DOC.write_text(text, encoding="utf-8")
