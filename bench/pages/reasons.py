"""Why a row of the page sweep misses a target: the known reasons, kept beside
the sweep so that its table names the reason of every miss it prints.

Each reason says which rows it covers (persona, a regular expression on the
path, the backend or both) and which misses ("p50", "p99", "size", "req/s").
A miss that no reason covers prints as "no reason recorded": something new to
look into, never to paper over. A reason states what was measured or profiled
(docs/performance.md has the commands), not a hope.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Reason:
    personas: tuple[str, ...]  # empty: every persona
    path: str  # regular expression, searched in the path
    misses: frozenset[str]
    text: str
    backend: str = ""  # "SQLite", "PostgreSQL" or "" for both

    def covers(self, persona: str, path: str, miss: str, backend: str) -> bool:
        return (
            (not self.personas or persona in self.personas)
            and (not self.backend or self.backend == backend)
            and miss in self.misses
            and re.search(self.path, path) is not None
        )


def _r(personas: str, path: str, misses: str, text: str, backend: str = "") -> Reason:
    return Reason(
        tuple(p for p in personas.split(",") if p),
        path,
        frozenset(m.strip() for m in misses.split(",")),
        text,
        backend,
    )


# First match wins for each miss; keep the specific ones above the general ones.
REASONS: list[Reason] = []


def explain(persona: str, path: str, misses: list[str], backend: str) -> str:
    """The reasons for `misses`, joined; "" when none is recorded for any."""
    texts: list[str] = []
    unexplained: list[str] = []
    for miss in misses:
        reason = next((r for r in REASONS if r.covers(persona, path, miss, backend)), None)
        if reason is None:
            unexplained.append(miss)
        elif reason.text not in texts:
            texts.append(reason.text)
    if unexplained and texts:
        texts.append("no reason recorded for " + ", ".join(unexplained))
    return " ".join(texts)
