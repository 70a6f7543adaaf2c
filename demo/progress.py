"""The demo build's progress: one bar redrawn in place on a terminal, plain lines otherwise
(a log file or CI gets one readable line per step, never a run of carriage returns)."""

from __future__ import annotations

import shutil
import sys
import time
from typing import TextIO


class ProgressBar:
    """`step(label)` after each of `total` steps; `finish(summary)` once at the end."""

    def __init__(self, title: str, total: int, out: TextIO | None = None) -> None:
        self.title = title
        self.total = max(1, total)
        self.done = 0
        self.out = out or sys.stdout
        self.tty = self.out.isatty()
        self.started = time.perf_counter()

    def step(self, label: str) -> None:
        """One more step done; `label` says which (e.g. the simulated day)."""
        self.done = min(self.total, self.done + 1)
        counts = f"{self.done}/{self.total}"
        if not self.tty:
            self.out.write(f"{self.title}: {counts} {label}\n")
        else:
            width = shutil.get_terminal_size((80, 20)).columns
            text = f" {counts} {label}"
            room = max(10, min(40, width - len(self.title) - len(text) - 4))
            filled = round(room * self.done / self.total)
            bar = "#" * filled + "-" * (room - filled)
            line = f"{self.title} [{bar}]{text}"[: width - 1]
            self.out.write("\r" + line.ljust(width - 1))
        self.out.flush()

    def finish(self, summary: str) -> None:
        """Close the bar (its line stays) and print `summary` on a line of its own."""
        elapsed = time.perf_counter() - self.started
        if self.tty:
            self.out.write("\n")
        self.out.write(f"{self.title}: {summary} in {elapsed:.0f}s\n")
        self.out.flush()
