"""SQLite (WAL) persistence for cases and actions, written in batches off the request path.

``Store.put_case`` / ``put_action`` / ``mark_sent`` only append to in-memory batches; the
writer task (``run``) flushes them every ``FLUSH_S`` in one transaction on a worker thread,
so ingest never waits on the disk. ``close()`` flushes what is left. On start the store
returns the cases and undelivered actions of a previous run on the same file
(``load_open_cases``, ``load_unsent``), so a restart loses nothing that was flushed.
"""

from __future__ import annotations

import asyncio
import sqlite3
import sys
import threading
from pathlib import Path
from typing import Any

__all__ = ["FLUSH_S", "Store"]

FLUSH_S = 0.05
# What a bad row or a full disk raises while writing (an int too big for SQLite: OverflowError).
DB_ERRORS = (sqlite3.Error, OverflowError, ValueError)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS cases (
    event_id TEXT PRIMARY KEY, case_id TEXT NOT NULL, received_at REAL NOT NULL,
    channel TEXT, handle TEXT, followers INTEGER, text TEXT, intent TEXT, sentiment REAL,
    route TEXT, tier INTEGER, priority TEXT, status TEXT, agent TEXT,
    first_reply_at REAL, closed_at REAL, event TEXT
);
CREATE TABLE IF NOT EXISTS actions (
    seq INTEGER PRIMARY KEY, event_id TEXT, action TEXT, body TEXT NOT NULL,
    created_at REAL NOT NULL, state TEXT NOT NULL DEFAULT 'pending', attempts INTEGER DEFAULT 0
);
CREATE INDEX IF NOT EXISTS actions_state ON actions(state);
"""

CASE_COLUMNS = ("event_id", "case_id", "received_at", "channel", "handle", "followers", "text",
                "intent", "sentiment", "route", "tier", "priority", "status", "agent",
                "first_reply_at", "closed_at", "event")


class Store:
    """Batched SQLite writer; call ``run()`` as a task and ``close()`` on shutdown."""

    def __init__(self, path: Path | str):
        self.path = str(path)
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self._lock = threading.Lock()  # one flush at a time (thread) vs. close()
        self._cases: dict[str, tuple[Any, ...]] = {}
        self._actions: list[tuple[Any, ...]] = []
        self._sent: list[tuple[str, int, int]] = []
        self.errors = 0
        self.closed = False

    # --- producers (event loop thread; cheap) -------------------------------------------
    def put_case(self, row: tuple[Any, ...]) -> None:
        """Queue an insert-or-replace of one case row (``CASE_COLUMNS`` order)."""
        self._cases[row[0]] = row

    def put_action(self, seq: int, event_id: str, action: str, body: str,
                   created_at: float) -> None:
        """Queue a new pending action (``body`` is the JSON posted to the platform)."""
        self._actions.append((seq, event_id, action, body, created_at))

    def mark_sent(self, seq: int, state: str = "sent", attempts: int = 1) -> None:
        """Queue a delivery outcome: ``sent`` or ``rejected`` (the platform said 4xx)."""
        self._sent.append((state, attempts, seq))

    # --- writer ---------------------------------------------------------------------------
    def _take(self) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        cases, self._cases = list(self._cases.values()), {}
        actions, self._actions = self._actions, []
        sent, self._sent = self._sent, []
        return cases, actions, sent

    def _write(self, cases: list[Any], actions: list[Any], sent: list[Any]) -> None:
        if not (cases or actions or sent):
            return
        with self._lock:
            if self.closed:
                return
            try:
                self._transaction(cases, actions, sent)
            except DB_ERRORS:
                # One bad row must not cost the batch: write row by row, skip the bad ones.
                for one in ([(c,), (), ()] for c in cases):
                    self._try(one)
                for one in ([(), (a,), ()] for a in actions):
                    self._try(one)
                for one in ([(), (), (m,)] for m in sent):
                    self._try(one)

    def _try(self, batch: list[tuple[Any, ...]]) -> None:
        try:
            self._transaction(list(batch[0]), list(batch[1]), list(batch[2]))
        except DB_ERRORS as exc:
            self.errors += 1
            print(f"carestack: SQLite row skipped: {exc}", file=sys.stderr, flush=True)

    def _transaction(self, cases: list[Any], actions: list[Any], sent: list[Any]) -> None:
        db = self._db
        db.execute("BEGIN")
        try:
            if cases:
                marks = ",".join("?" * len(CASE_COLUMNS))
                db.executemany(f"INSERT OR REPLACE INTO cases VALUES ({marks})", cases)
            if actions:
                db.executemany("INSERT OR IGNORE INTO actions(seq, event_id, action, body, "
                               "created_at) VALUES (?,?,?,?,?)", actions)
            if sent:
                db.executemany("UPDATE actions SET state=?, attempts=? WHERE seq=?", sent)
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    async def flush(self) -> None:
        """Write everything queued so far (on a worker thread)."""
        batch = self._take()
        await asyncio.to_thread(self._write, *batch)

    async def run(self) -> None:
        """Flush every ``FLUSH_S`` until cancelled; a failed flush is reported, not fatal."""
        while True:
            await asyncio.sleep(FLUSH_S)
            try:
                await self.flush()
            except DB_ERRORS as exc:  # e.g. disk full: cases stay in memory, keep going
                self.errors += 1
                print(f"carestack: SQLite write failed: {exc}", file=sys.stderr, flush=True)

    def close(self) -> None:
        """Write what is left and close the database (synchronously)."""
        self._write(*self._take())
        with self._lock:
            self.closed = True
            self._db.close()

    # --- reads (start-up and tests) -------------------------------------------------------
    def load_cases(self) -> list[dict[str, Any]]:
        """All cases of a previous run, oldest first, as dicts keyed by ``CASE_COLUMNS``."""
        with self._lock:
            rows = self._db.execute("SELECT * FROM cases ORDER BY received_at").fetchall()
        return [dict(zip(CASE_COLUMNS, row, strict=True)) for row in rows]

    def load_unsent(self) -> list[tuple[int, str, str]]:
        """``(seq, event_id, body)`` of actions never delivered, in order."""
        with self._lock:
            return self._db.execute("SELECT seq, event_id, body FROM actions "
                                    "WHERE state='pending' ORDER BY seq").fetchall()

    def max_action_seq(self) -> int:
        """Highest action sequence number stored (0 when none)."""
        with self._lock:
            row = self._db.execute("SELECT COALESCE(MAX(seq), 0) FROM actions").fetchone()
        return int(row[0])

    def counts(self) -> dict[str, int]:
        """Row counts by table and action state (for tests and ``/stats``)."""
        with self._lock:
            out = {"cases": self._db.execute("SELECT COUNT(*) FROM cases").fetchone()[0]}
            for state, n in self._db.execute("SELECT state, COUNT(*) FROM actions GROUP BY state"):
                out[f"actions_{state}"] = n
        return out
