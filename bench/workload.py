"""The generated inventory files the benchmarks load: stores x items, counts from a fixed seed."""

from __future__ import annotations

import random
from collections.abc import Iterator

#: Bytes per chunk handed to the parser when a file is streamed from a generator.
CHUNK_BYTES = 64 * 1024
SEED = 20240101


def shape(rows: int, items_per_store: int = 1000) -> tuple[int, int]:
    """(stores, items per store) for a file of ``rows`` rows: 1,000 items a store, as in 20 x 1,000."""
    items = min(rows, items_per_store)
    return max(1, -(-rows // items)), items


def rows(count: int, seed: int = SEED) -> Iterator[tuple[str, str, int]]:
    """``count`` distinct (store, item, count) rows; about one in ten out of stock, one in ten low."""
    stores, items = shape(count)
    rand = random.Random(seed)
    produced = 0
    for store in range(stores):
        for item in range(items):
            if produced == count:
                return
            roll = rand.random()
            level = 0 if roll < 0.1 else rand.randint(1, 5) if roll < 0.2 else rand.randint(6, 500)
            yield f"Store {store:04d}", f"Item {item:05d}", level
            produced += 1


def csv_lines(count: int, seed: int = SEED) -> Iterator[str]:
    yield "store,item,count\n"
    for store, item, level in rows(count, seed):
        yield f"{store},{item},{level}\n"


def csv_chunks(count: int, seed: int = SEED, size: int = CHUNK_BYTES) -> Iterator[bytes]:
    """The file as a stream of byte chunks, generated as it is read: never whole in memory."""
    pending: list[str] = []
    length = 0
    for line in csv_lines(count, seed):
        pending.append(line)
        length += len(line)
        if length >= size:
            yield "".join(pending).encode()
            pending, length = [], 0
    if pending:
        yield "".join(pending).encode()


def csv_file(count: int, seed: int = SEED) -> bytes:
    """The whole file, for uploading to the emulator's bucket (20,000 rows is about 0.5 MB)."""
    return b"".join(csv_chunks(count, seed))


def levels(count: int, seed: int = SEED) -> Iterator[int]:
    """Just the counts of :func:`rows`, for seeding a table directly."""
    for _store, _item, level in rows(count, seed):
        yield level
