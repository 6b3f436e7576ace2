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
    key: str  # a short name, shown in the table; the text goes below it
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


def _r(key: str, personas: str, path: str, misses: str, text: str, backend: str = "") -> Reason:
    return Reason(
        key,
        tuple(p for p in personas.split(",") if p),
        path,
        frozenset(m.strip() for m in misses.split(",")),
        text,
        backend,
    )


# First match wins for each miss; keep the specific ones above the general ones.
REASONS: list[Reason] = [
    _r("team-reports", "owner", r"^/reports/(team-hours|team-projects-users)$", "p50, p99, req/s",
       "Team reports of the whole installation sum per team, person and week over all "
       "20k people on every request (the page needs every row for its total and order); "
       "a per-person-week summary kept by triggers, like `entry_month_totals`, is the "
       "fix and is not built (docs/performance.md, \"Root owner's reports, third round\")."),
    _r("project-hours", "owner", r"^/reports/project-hours$", "p50, p99, req/s",
       "Project hours of the whole installation sort every (project, person, month) group "
       "of the period to count and sum them; the order is project first, so the "
       "people-first walk of the other reports does not apply (same section)."),
    _r("missing-timesheets", "", r"^/reports/missing-timesheets$", "p50, p99, req/s",
       "Missing timesheets look at every person's weeks of the period that are over; "
       "not summarised yet (same section)."),
    _r("pg-entries", "owner", r"^/reports/entries$", "p50, p99, req/s",
       "PostgreSQL: the first page of the installation's entries takes 57–72 ms alone "
       "(the day-by-day walk itself, by EXPLAIN ANALYZE, 15 ms; the period's count and "
       "chart the rest); not profiled further.",
       "PostgreSQL"),
    _r("entries-under-load", "owner", r"^/reports/entries$", "req/s",
       "The installation's entries, first page: alone it takes 24 ms (a walk by day "
       "that reads about 50 people's entries); under 32 concurrent requests the server "
       "spends 87 ms of CPU per request. Not profiled yet."),
    _r("pg-people", "employee,approver,admin", r"^(/users|/api/v1/users)$", "req/s",
       "PostgreSQL: the people list of someone who sees part of the tree filters by "
       "\"home in my scope, or a guest grant in my scope, or me\" (`sees_user_sql`), an "
       "OR of subqueries; 6–17 ms a request against 0.8–2 ms on SQLite. Not profiled on "
       "PostgreSQL yet.",
       "PostgreSQL"),
    _r("pg-round-trips", "", r"", "req/s",
       "PostgreSQL: most of a request's time is in the database's own processes, which "
       "the CPU column (Canopy's alone) does not count; each of the page's statements "
       "(the frame's session and epochs, a count, a page, the rows' names) is a round "
       "trip to a PostgreSQL backend that shares the two cores with Canopy and wrk. "
       "Not profiled per statement.",
       "PostgreSQL"),
    _r("reports", "", r"^(/reports/|/api/v1/reports/)", "req/s",
       "A report aggregates its period on every request (nothing is cached, so an entry "
       "saved a moment ago shows): 3–12 ms of CPU per request for a customer or the "
       "installation (the CPU column), which two cores shared with wrk turn into a few "
       "hundred requests a second."),
    _r("inbox", "", r"^(/approvals|/api/v1/approvals)$", "req/s",
       "The inbox reads one page of 50 waiting parts in SQL and joins their people, "
       "weeks and hours (the page adds a form per row: 53 KB of HTML): 2–3.3 ms of CPU "
       "per request."),
    _r("dashboard", "", r"^/$", "req/s",
       "The dashboard gathers five parts for the person (their week and last 52 sheets, "
       "their projects, what waits for them, the org they run with its roll-up and "
       "audit, their activity): a dozen statements, 0.8–2.2 ms of CPU per request."),
    _r("lists", "", r"", "req/s",
       "CPU-bound in the page's own work, 0.4–2 ms per request (the CPU column): a count "
       "and a page of at most 50 rows in SQL, the names and paths of those rows, the "
       "template; nothing walks the installation. Two cores shared with wrk make that "
       "1,000–4,300 req/s; 10% of this run's `/healthz` would need about 0.3 ms, a page "
       "frame plus one indexed statement."),
]


def explain(persona: str, path: str, misses: list[str], backend: str) -> str:
    """The keys of the reasons for `misses` ("see *lists*"), "" when none is
    recorded for any; `legend` gives their texts."""
    keys: list[str] = []
    unexplained: list[str] = []
    for miss in misses:
        reason = next((r for r in REASONS if r.covers(persona, path, miss, backend)), None)
        if reason is None:
            unexplained.append(miss)
        elif reason.key not in keys:
            keys.append(reason.key)
    said = ", ".join(f"*{k}*" for k in keys)
    if unexplained and keys:
        said += "; no reason recorded for " + ", ".join(unexplained)
    return said


def legend(table: str) -> str:
    """The reasons a table names, as a list under it."""
    used = [r for r in REASONS if f"*{r.key}*" in table]
    seen: list[str] = []
    lines = []
    for r in used:
        if r.key not in seen:
            seen.append(r.key)
            lines.append(f"- *{r.key}*: {r.text}")
    return "Why the rows over a target miss it:\n\n" + "\n".join(lines) if lines else ""
