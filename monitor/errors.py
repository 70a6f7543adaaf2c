"""The exceptions of `monitor`: one tree, and the Problem a bad monitor file is reported as."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a monitor file or a suite file, with where it is."""

    file: str
    line: int | None
    path: str  # "integrations.product-catalog.compare[1].tolerance"; "" for the whole file
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class MonitorError(Exception):
    """Something the monitor cannot do as asked."""


class ConfigError(MonitorError):
    """The monitor file (or a suite it names) is invalid; `problems` lists every problem."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)


class SuiteEditError(MonitorError):
    """A suite could not be read, validated or saved as asked."""
