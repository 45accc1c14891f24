"""Progress of a multi-step job (train, match) as rich lines: one per step, with its time."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn


@contextmanager
def stages(*, quiet: bool) -> Iterator[Callable[[str], None]]:
    """Yields a callback: each call starts a step and closes the previous one."""
    with Progress(
        SpinnerColumn(finished_text="✓"),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        disable=quiet,
        transient=False,
    ) as progress:
        current: list[int] = []

        def step(description: str) -> None:
            if current:
                progress.update(current[0], total=1, completed=1)
                current.clear()
            current.append(progress.add_task(description, total=None))

        try:
            yield step
        finally:
            if current:
                progress.update(current[0], total=1, completed=1)
