"""The group committer on both databases: concurrent submissions share transactions, each still gets its own ids
(durable when it returns) or its own error."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from node.errors import NotFoundError
from node.services.intake import GroupCommitter, committer_for
from node.store import NewCredential, Store

ISSUER = 7
OTHER = 8
N = 24


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'credreg.db'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def store(url: str) -> Iterator[Store]:
    store = Store(url)
    store.migrate()
    for issuer_id in (ISSUER, OTHER):
        store.upsert_issuer(
            issuer_id,
            name=f"College {issuer_id}",
            metadata_uri=f"did:web:c{issuer_id}.test",
            signer_address="0x" + "ab" * 20,
        )
    yield store
    store.close()


def credential(i: int, client_ref: str | None = None) -> NewCredential:
    return NewCredential("NationalCertificate", "1", "0x" + f"{i:064x}", f'{{"n":{i}}}', client_ref=client_ref)


def commits_of(store: Store) -> list[int]:
    """A list whose length is the number of transactions committed on the store's engine from now on."""
    seen: list[int] = []
    event.listen(store.engine, "commit", lambda _conn: seen.append(1))
    return seen


def slowed(store: Store, monkeypatch: pytest.MonkeyPatch, seconds: float = 0.05) -> None:
    """Every group commit takes at least ``seconds``, so that submissions arriving meanwhile queue up."""
    original = store.add_credential_groups

    def slow(groups: Sequence[tuple[int, Sequence[NewCredential]]]) -> list[list[str]]:
        time.sleep(seconds)
        return original(groups)

    monkeypatch.setattr(store, "add_credential_groups", slow)


def together(n: int, job: Callable[[int], Any]) -> list[Any]:
    """``job(0..n-1)`` from n threads released at once; results (or the exceptions raised) in order."""
    start = threading.Barrier(n)

    def run(i: int) -> Any:
        start.wait()
        try:
            return job(i)
        except Exception as exc:  # the test looks at each outcome
            return exc

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(run, range(n)))


def test_concurrent_submissions_share_commits_and_are_durable_when_answered(
    store: Store, url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    committer = GroupCommitter(store)
    slowed(store, monkeypatch)
    commits = commits_of(store)
    ids = together(N, lambda i: committer.add(ISSUER, [credential(i)]))
    assert all(isinstance(found, list) and len(found) == 1 for found in ids), ids
    flat = [found[0] for found in ids]
    assert len(set(flat)) == N
    assert 1 <= committer.commits < N and 1 <= len(commits) < N  # grouped: fewer transactions than submissions
    reopened = Store(url)  # a fresh engine: what is on disk, not in a connection's cache
    try:
        for i, credential_id in enumerate(flat):
            assert reopened.get_credential(credential_id, ISSUER).credential_hash == "0x" + f"{i:064x}"
    finally:
        reopened.close()


def test_a_client_ref_gives_one_credential_within_and_across_groups(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    committer = GroupCommitter(store)
    slowed(store, monkeypatch)
    ids = together(N, lambda i: committer.add(ISSUER if i % 2 else OTHER, [credential(i, client_ref="enrol-1")]))
    by_issuer = {ISSUER: {ids[i][0] for i in range(1, N, 2)}, OTHER: {ids[i][0] for i in range(0, N, 2)}}
    assert all(len(found) == 1 for found in by_issuer.values()), by_issuer  # one credential per issuer's ref
    assert by_issuer[ISSUER] != by_issuer[OTHER]
    assert committer.add(ISSUER, [credential(99, client_ref="enrol-1")]) == list(by_issuer[ISSUER])
    assert sum(store.credential_counts().values()) == 2


def test_a_failing_submission_does_not_fail_the_others_of_its_group(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    committer = GroupCommitter(store)
    slowed(store, monkeypatch)
    unknown_issuer = 404  # not registered: its write fails, inside whichever group it lands
    outcomes = together(N, lambda i: committer.add(unknown_issuer if i == N // 2 else ISSUER, [credential(i)]))
    assert isinstance(outcomes[N // 2], NotFoundError)
    written = [found[0] for i, found in enumerate(outcomes) if i != N // 2]
    assert len(set(written)) == N - 1
    assert {store.get_credential(cid).issuer_id for cid in written} == {ISSUER}
    assert committer.add(ISSUER, [credential(N)])  # the committer goes on afterwards


def test_a_lone_submission_is_committed_at_once(store: Store) -> None:
    committer = GroupCommitter(store)
    start = time.perf_counter()
    [credential_id] = committer.add(ISSUER, [credential(1)])
    assert time.perf_counter() - start < 1.0  # no window to wait out when nothing else is queued
    assert store.get_credential(credential_id).credential_hash == "0x" + f"{1:064x}"
    assert committer.commits == 1


def test_an_unexpected_error_reaches_every_waiter_and_frees_the_lead(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    committer = GroupCommitter(store)
    original = store.add_credential_groups
    broken = True

    def explode(groups: Sequence[tuple[int, Sequence[NewCredential]]]) -> list[list[str]]:
        time.sleep(0.05)
        if broken:
            raise RuntimeError("boom")
        return original(groups)

    monkeypatch.setattr(store, "add_credential_groups", explode)
    outcomes = together(8, lambda i: committer.add(ISSUER, [credential(i)]))
    assert all(isinstance(o, RuntimeError) for o in outcomes), outcomes  # nobody waits forever
    broken = False
    assert committer.add(ISSUER, [credential(100)])


def test_one_committer_per_store(store: Store, url: str) -> None:
    assert committer_for(store) is committer_for(store)
    other = Store(url)
    try:
        assert committer_for(other) is not committer_for(store)
    finally:
        other.close()
