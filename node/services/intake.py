"""Group commit for the outbox: concurrent submissions share one store transaction, so one fsync.

A student system posting credentials one by one would otherwise pay one commit (one fsync on SQLite with
``synchronous=FULL``, one WAL flush on PostgreSQL) per request, and the disk would cap it. Here each request's
thread hands its already validated and sealed credentials to the :class:`GroupCommitter` of its store and waits:

- the first thread to arrive while no commit is in flight becomes the *leader*: it takes every submission queued
  so far (its own included) and writes them in one transaction (:meth:`Store.add_credential_groups`);
- threads arriving while that commit is in flight queue up; when the commit returns, the leader wakes every
  submission it wrote and hands the lead to the oldest queued one, which writes all that queued meanwhile in the
  next transaction. No timer: an idle node commits a lone request at once, a busy one groups as many requests as
  arrived during one commit (``window_s`` adds a wait before each commit, for tests and slow disks);
- each waiter returns only once the transaction holding *its own* rows has committed, so its 202 still means
  durable; a crash before that commit loses only requests not yet answered;
- outcomes are per submission: if the group's transaction fails (an issuer gone, a client-ref race on
  PostgreSQL), each of its submissions is written again in its own transaction and gets its own ids or error.
  Validation happens before a submission joins a group (:class:`node.services.issuance.IssuanceService`), so an
  item refused there never reaches one.

One committer per store, shared by every request thread of the process (:func:`committer_for`).
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy.exc import SQLAlchemyError

from node.errors import RegistryError
from node.store import NewCredential, Store

log = logging.getLogger(__name__)

_STORE_ERRORS = (RegistryError, SQLAlchemyError)
"""What a write of the outbox may raise and a waiter should see as its own outcome."""


@dataclass(eq=False)
class _Submission:
    issuer_id: int
    items: Sequence[NewCredential]
    ids: list[str] | None = None
    error: BaseException | None = None
    lead: bool = False
    """Set when the previous leader hands this submission's thread the next commit."""
    woken: threading.Event = field(default_factory=threading.Event)

    @property
    def done(self) -> bool:
        return self.ids is not None or self.error is not None


class GroupCommitter:
    """Writes submissions to the outbox, several per transaction when they arrive together. Thread-safe."""

    def __init__(self, store: Store, *, window_s: float = 0.0) -> None:
        self._store = store
        self._window_s = window_s
        self._lock = threading.Lock()
        self._queue: list[_Submission] = []
        self._leading = False
        self.commits = 0
        """Group transactions committed (fallback transactions not counted); for tests and metrics."""

    def add(self, issuer_id: int, items: Sequence[NewCredential]) -> list[str]:
        """Write ``items`` for ``issuer_id`` (as :meth:`Store.add_credentials`), returning once they are committed."""
        mine = _Submission(issuer_id, items)
        with self._lock:
            self._queue.append(mine)
            lead = not self._leading
            self._leading = True
        if not lead:
            mine.woken.wait()
            if not mine.lead:
                return self._outcome(mine)
        self._lead(mine)
        return self._outcome(mine)

    @staticmethod
    def _outcome(submission: _Submission) -> list[str]:
        if submission.error is not None:
            raise submission.error
        assert submission.ids is not None
        return submission.ids

    def _lead(self, mine: _Submission) -> None:
        """Commit what is queued (``mine`` among it), wake those written, hand the lead on."""
        if self._window_s:
            time.sleep(self._window_s)
        with self._lock:
            group, self._queue = self._queue, []
        try:
            self._commit(group)
        except BaseException as exc:  # not swallowed: every waiter gets it, and it is raised on
            for submission in group:
                if not submission.done:
                    submission.error = exc
            raise
        finally:
            with self._lock:
                successor = self._queue[0] if self._queue else None
                self._leading = successor is not None
                if successor is not None:
                    successor.lead = True
            for submission in group:
                if submission is not mine:
                    submission.woken.set()
            if successor is not None:
                successor.woken.set()

    def _commit(self, group: list[_Submission]) -> None:
        try:
            written = self._store.add_credential_groups([(s.issuer_id, s.items) for s in group])
        except _STORE_ERRORS as exc:
            if len(group) == 1:
                group[0].error = exc
                return
            log.info("a group of %d submissions failed (%s); writing each on its own", len(group), exc)
            for submission in group:
                try:
                    submission.ids = self._store.add_credentials(submission.issuer_id, submission.items)
                except _STORE_ERRORS as own:
                    submission.error = own
            return
        self.commits += 1
        for submission, ids in zip(group, written, strict=True):
            submission.ids = ids


_committers: weakref.WeakKeyDictionary[Store, GroupCommitter] = weakref.WeakKeyDictionary()
_committers_lock = threading.Lock()


def committer_for(store: Store) -> GroupCommitter:
    """The one committer of ``store`` in this process."""
    with _committers_lock:
        committer = _committers.get(store)
        if committer is None:
            committer = _committers[store] = GroupCommitter(store)
        return committer
