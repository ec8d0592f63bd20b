"""Small state tables beside the change store (what the pollers saw last, the webhooks registered):
one short connection per call, in the change store's SQLite file, each feature with its own tables."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path


class SqliteState:
    """A SQLite file with `schema` (CREATE TABLE IF NOT EXISTS ...) applied; `_connect()` gives a
    connection whose `with` block is one transaction, closed afterwards."""

    schema: Sequence[str] = ()

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            for sql in self.schema:
                db.execute(sql)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=10)
        try:
            with db:
                yield db
        finally:
            db.close()
