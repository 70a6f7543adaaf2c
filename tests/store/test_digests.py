"""store.digests on SQLite and PostgreSQL: a weekly digest is claimed by one sender at a time
(also when several race for it), a failed one is claimed again, a sent one never, and one whose
sender died is taken over only after the hold ran out."""

from __future__ import annotations

import threading
from datetime import timedelta

from store import digests
from store.store import ResultStore
from tests.store.conftest import T0

WEEK_START = T0 - timedelta(days=7)
HOLD = T0 + timedelta(minutes=10)


def _states(store: ResultStore) -> list[tuple[str, str, int]]:
    return [(r.owner, r.state, r.attempts) for r in digests.rows(store)]


def test_racing_senders_claim_a_digest_once(store_url: str) -> None:
    start = threading.Barrier(4)
    won: list[str] = []
    failed: list[BaseException] = []

    def sender(holder: str) -> None:
        opened: ResultStore | None = None
        try:
            opened = ResultStore.open(store_url)  # four senders also race to migrate the store
            start.wait(timeout=30)
            if digests.claim(opened, "alice", WEEK_START, holder, HOLD, T0):
                won.append(holder)
        except BaseException as exc:  # seen by the assertion below, not lost in the thread
            failed.append(exc)
        finally:
            if opened is not None:
                opened.dispose()

    threads = [threading.Thread(target=sender, args=(f"s{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not failed, failed
    assert len(won) == 1, won


def test_failed_is_claimed_again_sent_never(store: ResultStore) -> None:
    assert digests.claim(store, "bob", WEEK_START, "a", HOLD, T0)
    assert not digests.claim(store, "bob", WEEK_START, "b", HOLD, T0)  # a is sending
    assert not digests.mark_sent(store, "bob", WEEK_START, "b", T0)  # b holds nothing
    assert digests.mark_failed(store, "bob", WEEK_START, "a", "smtp down")
    assert _states(store) == [("bob", "failed", 1)]
    assert digests.claim(store, "bob", WEEK_START, "b", HOLD, T0)
    assert digests.mark_sent(store, "bob", WEEK_START, "b", T0)
    assert digests.sent_owners(store, WEEK_START) == {"bob"}
    assert not digests.claim(store, "bob", WEEK_START, "c", HOLD + timedelta(days=1), HOLD)
    assert _states(store) == [("bob", "sent", 2)]
    assert digests.sent_owners(store, WEEK_START + timedelta(days=7)) == set()


def test_a_dead_senders_digest_is_taken_over_after_its_hold(store: ResultStore) -> None:
    assert digests.claim(store, "carol", WEEK_START, "dead", HOLD, T0)
    assert not digests.claim(store, "carol", WEEK_START, "b", HOLD, HOLD - timedelta(seconds=1))
    later = HOLD + timedelta(seconds=1)
    assert digests.claim(store, "carol", WEEK_START, "b", later + timedelta(minutes=10), later)
    assert not digests.mark_sent(store, "carol", WEEK_START, "dead", T0)
    assert digests.mark_sent(store, "carol", WEEK_START, "b", T0)
