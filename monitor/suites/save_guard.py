"""What keeps a suite file and its recorded versions in agreement across crashes.

A save replaces the file and then commits its version row; a process killed between the two
leaves a file nobody recorded, and one killed while writing leaves a `.tmp` file. A save holds
an exclusive lock on the suite (an OS file lock, released by the kernel when the process
dies) and writes its intent (author, comment, the new content's digest) into the lock file
first. Whoever takes the lock next finds what a dead save left: its temp files (removed) and
its intent (the file's content recorded with the author who saved it), or a file changed by
hand (recorded as changed outside dxq).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO


@dataclass(frozen=True)
class Intent:
    """A save that was under way: who, why, when, the digest of the text it wrote, and the
    file's text before it when nothing was recorded yet (the base of the history)."""

    digest: str
    author: str
    comment: str
    at: datetime
    base: str | None = None


class SuiteLock:
    """The held lock of one suite file, with the intent of the save holding it."""

    def __init__(self, path: Path, handle: IO[str]) -> None:
        self.path = path
        self._handle = handle

    def left_behind(self) -> Intent | None:
        """The intent a save wrote and did not clear (it died before finishing)."""
        self._handle.seek(0)
        try:
            data = json.loads(self._handle.read() or "null")
            fields = (data["digest"], data["author"], data["comment"], _at(data["at"]))
            return Intent(*fields, data.get("base"))
        except (ValueError, TypeError, KeyError):
            return None

    def intend(self, intent: Intent | None) -> None:
        """Say, durably, which text is about to replace the file and who saves it; None once
        the save finished (recorded, or undone) and nothing is left to recover."""
        if intent is None:
            self._write("")
            return
        record = {"digest": intent.digest, "author": intent.author, "comment": intent.comment}
        self._write(json.dumps({**record, "at": intent.at.isoformat(), "base": intent.base}))

    def remove_stale_temp_files(self) -> list[Path]:
        """Temp files of saves that died while writing (none is being written: we hold the
        lock every writer takes)."""
        found = sorted(self.path.parent.glob(f"{temp_prefix(self.path)}*.tmp"))
        for temp in found:
            temp.unlink(missing_ok=True)
        return found

    def _write(self, text: str) -> None:
        self._handle.seek(0)
        self._handle.truncate()
        self._handle.write(text)
        self._handle.flush()
        os.fsync(self._handle.fileno())


@contextmanager
def locked(path: Path, *, wait: bool = True) -> Iterator[SuiteLock | None]:
    """Hold the suite's lock; with `wait=False`, yield None when another process holds it."""
    lock_file = _lock_path(path)
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_file, "a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield None
            return
        try:
            yield SuiteLock(path, handle)
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def intent_for(
    text: str, author: str, comment: str, at: datetime, base: str | None = None
) -> Intent:
    """The intent of saving `text` (over `base`, the file's unrecorded text, if any)."""
    return Intent(digest(text), author, comment, at, base)


def write_atomically(path: Path, text: str) -> None:
    """Replace `path` with `text` in one step (a temp file beside it, fsynced, then renamed);
    a temp file a killed process leaves is removed by the next holder of the lock."""
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=temp_prefix(path), suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        if path.exists():
            os.chmod(temp, path.stat().st_mode & 0o7777)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def temp_prefix(path: Path) -> str:
    """How the temp files of an atomic write of `path` begin (beside it, hidden)."""
    return f".{path.name}."


def digest(text: str) -> str:
    """The digest an intent names its text by."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _lock_path(path: Path) -> Path:
    # Beside the other processes' locks, not beside the suite (no stray files in a repository).
    name = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:32]
    return Path(tempfile.gettempdir()) / f"dxq-suite-locks-{os.getuid()}" / f"{name}.lock"


def _at(text: str) -> datetime:
    at = datetime.fromisoformat(text)
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)
