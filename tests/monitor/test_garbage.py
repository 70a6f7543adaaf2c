"""monitor/garbage: the collector held while dxq starts, released (frozen) before real work.
In-process, so each test puts the collector back as it found it."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from monitor import garbage


@pytest.fixture(autouse=True)
def _collector_restored() -> Iterator[None]:
    was_enabled, frozen = gc.isenabled(), gc.get_freeze_count()
    yield
    garbage._held = False
    if gc.get_freeze_count() > frozen:
        gc.unfreeze()  # back into the oldest generation, where they were collectable
    if was_enabled:
        gc.enable()


def test_hold_turns_the_collector_off_and_release_freezes_and_turns_it_on() -> None:
    frozen = gc.get_freeze_count()
    garbage.hold()
    assert not gc.isenabled()
    made_during_start_up: list[list[int]] = [[] for _ in range(100)]  # the collector tracks these
    garbage.release()
    assert gc.isenabled()
    assert gc.get_freeze_count() >= frozen + len(made_during_start_up)
    garbage.release()  # a second release (a second integration's checks) changes nothing
    assert gc.isenabled()


def test_release_without_hold_is_nothing() -> None:
    frozen = gc.get_freeze_count()
    garbage.release()
    assert gc.isenabled()
    assert gc.get_freeze_count() == frozen


def test_a_collector_turned_off_by_the_caller_stays_off() -> None:
    gc.disable()
    garbage.hold()
    garbage.release()
    assert not gc.isenabled()
