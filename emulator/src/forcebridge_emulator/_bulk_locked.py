"""Bulk API 2.0 internal batches that lock their rows' parents, processed side by side.

What a real org does, and what this module makes the emulator do when `parent_locks=1`:

- A job's data is cut into internal batches of 10,000 records, processed in parallel with the
  job's other batches and with other jobs' ("Understanding Bulk API 2.0 Ingest", Bulk API 2.0
  Developer Guide). So every batch of a job starts as soon as the org has a slot for it
  (`bulk_parallel`), not when the batch before it is done.
- A batch writing children locks their parent rows for its transaction; another batch needing
  one of them waits, and if it cannot get the lock within 10 seconds it fails ("Only one batch
  can acquire the lock at a time. If other batches containing child records for that same
  parent can't acquire the lock within 10 seconds, the batch fails": Salesforce Help, "Use
  Related Record Writeback in Data Processing Engine to reduce row lock errors"; "a given
  transaction can only wait a maximum of 10 seconds for a lock to be released": Knowledge
  Article 000229525, "Unable to lock row - Record currently unavailable errors"). The records
  that could not be locked are reported failed with `UNABLE_TO_LOCK_ROW` ("any failed records
  must be resubmitted": Bulk API "General Guidelines for Data Loads", parallel mode).
- A waiting batch holds its slot while it waits: it is a transaction blocked on a lock.

So a job whose every batch names the same parents has one batch working while the others wait,
and those still waiting after `lock_wait` fail; a job sorted by parent, whose batches name
disjoint parents, has all of them working at once.
"""

from __future__ import annotations

import asyncio
import csv
import itertools
import time
from collections.abc import Callable, Iterator
from typing import Protocol

from forcebridge_emulator._bulk_pace import JobPace
from forcebridge_emulator._org import Org
from forcebridge_emulator._parent_locks import ParentLocks, lock_message
from forcebridge_emulator._values import NULL_MARKER

# What one row turns into: (record id or None, created, sf__Error text or None).
Outcome = tuple[str | None, bool, str | None]


class JobResults(Protocol):
    """What batches report into: an ingest job's results in row order (the job itself
    imports this module, so it is described here rather than imported)."""

    ids: list[str | None]
    created: bytearray
    errors: dict[int, str]
    processed: int
    failed: int
    abort_requested: bool

# rows applied between two turns of the event loop
CHUNK_ROWS = 2000


async def apply_batches(
    job: JobResults,
    org: Org,
    rows: Iterator[list[str]],
    outcome: Callable[[list[str]], Outcome],
    pace: JobPace,
    locks: ParentLocks,
    columns: list[tuple[str, int]],
    width: int,
) -> None:
    """Apply `rows` batch by batch, each batch in its own task once it has an org slot; the
    job's `ids`, `created` and `errors` grow in row order as batches finish."""
    finished: dict[int, list[Outcome]] = {}
    tasks: list[asyncio.Task[None]] = []
    begun: set[int] = set()  # a task cancelled before its first step never reaches `finally`
    merged = 0

    def merge() -> None:
        nonlocal merged
        while merged in finished:
            for rid, was_created, err in finished.pop(merged):
                if err is not None:
                    job.errors[len(job.ids)] = err
                job.ids.append(rid)
                job.created.append(was_created)
            merged += 1
        job.processed = len(job.ids)
        job.failed = len(job.errors)

    async def one(number: int, batch: list[list[str]], owner: object) -> None:
        begun.add(number)
        try:
            locked = await _take_parents(locks, owner, columns, batch, width)
            started = time.monotonic()
            outcomes: list[Outcome] = []
            for start in range(0, len(batch), CHUNK_ROWS):
                with org.lock:
                    for k in range(start, min(start + CHUNK_ROWS, len(batch))):
                        err = locked.get(k)
                        outcomes.append((None, False, err) if err else outcome(batch[k]))
                await asyncio.sleep(0)
            # a batch works for its applied rows' modelled time; rows refused a lock cost none
            worked = (len(batch) - len(locked)) / pace.rate
            await asyncio.sleep(max(0.0, worked - (time.monotonic() - started)))
        finally:
            pace.end_batch(owner)
        finished[number] = outcomes
        merge()

    try:
        for number in itertools.count():
            if job.abort_requested:
                break
            owner = await pace.start_batch()
            try:
                read = list(itertools.islice(rows, pace.batch_rows))
            except csv.Error:
                pace.end_batch(owner)
                raise
            batch = [row for row in read if row]  # a blank line is no record
            if not batch:
                pace.end_batch(owner)
                if read:
                    continue
                break
            task = asyncio.get_running_loop().create_task(one(number, batch, owner))

            def settle(_: object, number: int = number, owner: object = owner) -> None:
                if number not in begun:
                    pace.end_batch(owner)

            task.add_done_callback(settle)
            pace.keep(task)
            tasks.append(task)
        if tasks:
            await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()


async def _take_parents(
    locks: ParentLocks,
    owner: object,
    columns: list[tuple[str, int]],
    rows: list[list[str]],
    width: int,
) -> dict[int, str]:
    """Lock the parents of a batch's rows; the rows whose parent stayed locked, with the
    `sf__Error` each fails with."""
    wanted = {(name, row[i]) for row in rows if len(row) == width for name, i in columns
              if row[i] and row[i] != NULL_MARKER}  # fmt: skip
    busy = await locks.acquire(owner, wanted)
    if not busy:
        return {}
    failed: dict[int, str] = {}
    for k, row in enumerate(rows):
        if len(row) != width:
            continue
        for name, i in columns:
            if (name, row[i]) in busy:
                failed[k] = f"UNABLE_TO_LOCK_ROW:{lock_message(row[i])}:--"
                break
    return failed

