#!/usr/bin/env python3
"""The page sweep: every page a person reaches, measured on one data set.

Starts `canopy serve` on a database (the large demo set by default, built when
missing), signs in through the form as the demo's root owner, a customer's org
admin, an approver and an employee, finds the pages each of them reaches (the
navigation, every tab of an org, user, project and team page, each report, the
inbox, the audit log, the bell) plus the main API lists, and measures each:

  * single requests, one at a time: the median and the slowest of N;
  * throughput with `wrk -t2 -c32` for a few seconds: req/s, p50 and p99, and
    the server's CPU time per request over that run (from /proc: what bounds
    the rate once the cores are busy);
  * the size of the answer.

A row over a target carries the reason `reasons.py` records for that miss, or
"no reason recorded" (something new to look into).

`/healthz` is measured first and last in the same run: the server's ceiling.
The resident memory of the server is read after the sweep (and after each
round with `--rounds 2`, to show it stays flat). The result is one Markdown
table, printed, and with `--write-doc` written into docs/performance.md
between `<!-- pages-sweep:BACKEND -->` markers.

Run by hand, never in CI (it takes minutes):

    cargo build --release
    python3 bench/pages/sweep.py                                  # SQLite, /tmp/demo-l/canopy.db
    python3 bench/pages/sweep.py --db postgres://postgres@127.0.0.1:5432/canopy_large
    python3 bench/pages/sweep.py --only /approvals --personas admin  # one row

Needs only Python 3 and `wrk` (Debian: `apt-get install wrk`).
"""

from __future__ import annotations

import argparse
import datetime
import html
import http.cookiejar
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reasons  # noqa: E402  (bench/pages/reasons.py, beside this script)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEMO_PASSWORD = "canopy-demo-2026"  # src/domain/demo.rs PASSWORD
PERSONAS = {
    "owner": "owner@canopy.demo",
    "admin": "admin@c0001.demo",
    "approver": "approver@c0001.demo",
    "employee": "employee@c0001.demo",
}
# Targets from issue 12 / DESIGN.md.
P50_MS, P99_MS, MAX_BYTES = 50.0, 150.0, 200 * 1024
RPS_SQLITE, RPS_POSTGRES = 1000.0, 500.0

# Links that change something or leave the app are never followed.
SKIP = re.compile(r"^/(sign-out|static/|setup/|reset/|activate/)|/(delete|revoke|remove)\b")
ENTITY = re.compile(r"^/(orgs|users|projects|teams|groups)/(\d+)(/[a-z-]+)?$")


@dataclass
class Row:
    persona: str
    path: str
    status: int = 0
    size: int = 0
    single: list[float] = field(default_factory=list)
    rps: float | None = None
    wrk_p50: float | None = None
    wrk_p99: float | None = None
    errors: int = 0
    cpu_ms: float | None = None  # the server's CPU time per request under wrk
    kind: str = "page"  # page | list | api | csv | ceiling

    def p50(self) -> float:
        return statistics.median(self.single) if self.single else float("nan")

    def worst(self) -> float:
        return max(self.single) if self.single else float("nan")


class Client:
    """A signed-in browser: a cookie jar and a CSRF token read from forms."""

    def __init__(self, base: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), NoRedirect()
        )
        self.headers: dict[str, str] = {}

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes, float]:
        req = urllib.request.Request(self.base + path, headers={**self.headers, **(headers or {})})
        started = time.perf_counter()
        try:
            with self.opener.open(req, timeout=120) as resp:
                body = resp.read()
                status = resp.status
        except urllib.error.HTTPError as err:
            body = err.read()
            status = err.code
        return status, body, (time.perf_counter() - started) * 1000.0

    def sign_in(self, email: str) -> None:
        _, body, _ = self.get("/sign-in")
        token = re.search(rb'name="csrf_token" value="([^"]+)"', body)
        if not token:
            sys.exit("sweep: no CSRF token on /sign-in")
        form = urllib.parse.urlencode(
            {"csrf_token": token.group(1).decode(), "next": "/", "email": email, "password": DEMO_PASSWORD}
        ).encode()
        req = urllib.request.Request(self.base + "/sign-in", data=form, method="POST")
        try:
            self.opener.open(req, timeout=60).read()
        except urllib.error.HTTPError as err:
            if err.code not in (302, 303):
                sys.exit(f"sweep: signing in as {email} answered {err.code}: {err.read()[:300]!r}")
        if not any(c.name == "canopy_session" for c in self.jar):
            sys.exit(f"sweep: signing in as {email} set no session cookie")

    def cookie_header(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # noqa: D401 - urllib's hook
        return None


def links(body: bytes) -> list[str]:
    out = []
    for href in re.findall(rb'href="(/[^"#]*)"', body):
        path = html.unescape(href.decode())
        if not SKIP.search(path):
            out.append(path)
    return out


def first_entity(client: Client, list_path: str, kind: str) -> str | None:
    status, body, _ = client.get(list_path)
    if status != 200:
        return None
    for path in links(body):
        m = ENTITY.match(path)
        if m and m.group(1) == kind and not m.group(3):
            return path
    return None


def discover(client: Client, api_headers: dict[str, str]) -> list[tuple[str, str, dict[str, str]]]:
    """(kind, path, extra headers) for every page this person reaches."""
    pages: list[str] = []
    _, home, _ = client.get("/")
    nav = re.search(rb"<nav.*?</nav>", home, re.S)
    for path in links(nav.group(0) if nav else home):
        if path not in pages:
            pages.append(path)
    for fixed in ("/", "/notifications", "/profile", "/approvals", "/timesheets"):
        if fixed not in pages:
            pages.append(fixed)
    # Every tab of one org, user, project, team and group page.
    entities = {
        "orgs": first_entity(client, "/orgs", "orgs"),
        "users": first_entity(client, "/users", "users"),
        "projects": first_entity(client, "/projects", "projects")
        or first_entity(client, "/my/projects", "projects"),
        "teams": first_entity(client, "/teams", "teams"),
        "groups": first_entity(client, "/groups", "groups"),
    }
    # The owner's first org link is the root; a customer is more typical too.
    for kind, page in entities.items():
        if not page:
            continue
        status, body, _ = client.get(page)
        if status != 200:
            continue
        pages.append(page)
        for path in links(body):
            m = ENTITY.match(path)
            if m and m.group(1) == kind and path.startswith(page + "/") and path not in pages:
                pages.append(path)
    # Each report.
    status, body, _ = client.get("/reports")
    if status == 200:
        for path in links(body):
            if re.match(r"^/reports/[a-z-]+$", path) and path not in pages:
                pages.append(path)
    found = [("page", p, {}) for p in pages]
    # Reports need an org: the person's home org, as `/api/v1/me` tells.
    _, me, _ = client.get("/api/v1/me", api_headers)
    home = re.search(rb'"org_id":\s*(\d+)', me)
    org = f"?org_id={home.group(1).decode()}" if home else ""
    if org and client.get(f"/api/v1/reports/monthly-by-project{org}", api_headers)[0] != 200:
        org = ""  # no reports at home (an approver): the API's default org, as the page's
    reports = client.get(f"/api/v1/reports/monthly-by-project{org}", api_headers)[0] == 200
    if not reports:
        # 422 "You may not read reports of any organization": an employee's answer.
        print("  (not measured: the report API, which answers 422 to this person, as it should)",
              file=sys.stderr)
    api = ["/api/v1/me", "/api/v1/orgs", "/api/v1/users", "/api/v1/projects", "/api/v1/teams",
           "/api/v1/groups", "/api/v1/approvals", "/api/v1/audit", "/api/v1/notifications"]
    if reports:
        api.append(f"/api/v1/reports/monthly-by-project{org}")
    for path in api:
        # The API answers 403 to what is not this person's (an employee's audit
        # log): a correct answer, not a page they reach, so not measured.
        if client.get(path, api_headers)[0] == 403:
            print(f"  (not measured: {path} answers 403, as it should)", file=sys.stderr)
        else:
            found.append(("api", path, api_headers))
    sep = "&" if org else "?"
    if reports:
        found.append(("csv", f"/api/v1/reports/entries{org}{sep}format=csv", api_headers))
    return found


def run_wrk(base: str, path: str, headers: dict[str, str], seconds: int) -> tuple[float, float, float, int, int]:
    cmd = ["wrk", "-t2", "-c32", f"-d{seconds}s", "--latency", "--timeout", "10s"]
    for name, value in headers.items():
        cmd += ["-H", f"{name}: {value}"]
    out = subprocess.run(cmd + [base + path], capture_output=True, text=True, check=False).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)) if "Requests/sec" in out else 0.0

    def pct(label: str) -> float:
        m = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if not m:
            return float("nan")
        scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]
        return float(m.group(1)) * scale

    errors = 0
    for pattern in (r"Non-2xx or 3xx responses: (\d+)", r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)"):
        m = re.search(pattern, out)
        if m:
            errors += sum(int(g) for g in m.groups())
    done = re.search(r"(\d+) requests in", out)
    return rps, pct("50"), pct("99"), errors, int(done.group(1)) if done else 0


# The server's pid, for its CPU time (set once it runs).
SERVER_PID = 0


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time the process has used, from /proc/PID/stat."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def memory_mb(pid: int) -> dict[str, float]:
    """The server's resident memory from /proc: VmRSS, split into RssAnon (heap,
    stacks) and RssFile (mapped files: the binary, SQLite's mmap), and VmHWM (peak)."""
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            name = line.split(":")[0]
            if name in ("VmRSS", "RssAnon", "RssFile", "VmHWM", "Threads"):
                value = int(line.split()[1])
                out[name] = value if name == "Threads" else value / 1024.0
    return out


def measure(client: Client, row: Row, headers: dict[str, str], singles: int, seconds: int) -> None:
    for i in range(singles):
        status, body, ms = client.get(row.path, headers)
        row.status, row.size = status, len(body)
        row.single.append(ms)
        if i == 0 and ms > 1000 and singles > 5:
            singles = 5  # a slow page: the median of five is enough
        if len(row.single) >= singles:
            break
    if seconds > 0:
        wrk_headers = dict(headers) if headers else {"Cookie": client.cookie_header()}
        before = cpu_seconds(SERVER_PID) if SERVER_PID else 0.0
        row.rps, row.wrk_p50, row.wrk_p99, row.errors, done = run_wrk(client.base, row.path, wrk_headers, seconds)
        settle(client)  # what wrk left queued still runs: counted in the CPU time
        if SERVER_PID and done:
            row.cpu_ms = (cpu_seconds(SERVER_PID) - before) * 1000.0 / done


def settle(client: Client, limit_s: float = 60.0) -> None:
    """Waits until the server has worked off what wrk left queued (slow pages keep
    running after wrk hangs up), so the next row's single requests start clean."""
    deadline, quick = time.time() + limit_s, 0
    while time.time() < deadline and quick < 3:
        _, _, ms = client.get("/healthz")
        quick = quick + 1 if ms < 20 else 0
        if quick < 3:
            time.sleep(0.05)


def misses_of(row: Row, ceiling: float, postgres: bool) -> list[str]:
    """The targets `row` misses: "p50", "p99", "size", "req/s", a status or errors."""
    misses = []
    if row.status == 403:
        misses.append("403: linked from the navigation but not allowed")
    elif row.status != 200:
        misses.append(f"status {row.status}")
    if row.p50() > P50_MS:
        misses.append("p50")
    if row.worst() > P99_MS and len(row.single) >= 10:
        misses.append("p99")
    if row.kind == "page" and row.size > MAX_BYTES:
        misses.append("size")
    if row.rps is not None and row.kind in ("page", "api"):
        need = RPS_POSTGRES if postgres else max(RPS_SQLITE, 0.1 * ceiling)
        if row.rps < need:
            misses.append("req/s")
    if row.errors:
        misses.append(f"{row.errors} errors")
    return misses


def verdict(row: Row, ceiling: float, postgres: bool) -> str:
    """"ok", or the misses in bold with the reason `reasons.py` gives for them
    ("no reason recorded" when it has none: a new miss to look into)."""
    misses = misses_of(row, ceiling, postgres)
    if not misses:
        return "ok"
    why = reasons.explain(row.persona, row.path, misses, "PostgreSQL" if postgres else "SQLite")
    return "**" + ", ".join(misses) + "**: " + (f"see {why}" if why else "no reason recorded")


def fmt(x: float | None, digits: int = 1) -> str:
    if x is None or x != x:
        return "—"
    return f"{x:,.{digits}f}"


def table(rows: list[Row], ceiling: float, postgres: bool) -> str:
    out = ["| as | path | status | KB | p50 ms (single) | max ms (single) | req/s | p50 ms (wrk) | p99 ms (wrk) "
           "| CPU ms/req | |",
           "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        out.append(
            f"| {r.persona} | `{r.path}` | {r.status} | {r.size / 1024:.1f} | {fmt(r.p50())} | {fmt(r.worst())} "
            f"| {fmt(r.rps, 0)} | {fmt(r.wrk_p50)} | {fmt(r.wrk_p99)} | {fmt(r.cpu_ms, 2)} "
            f"| {verdict(r, ceiling, postgres)} |"
        )
    return "\n".join(out)


def wait_healthy(base: str, proc: subprocess.Popen, seconds: int = 120) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if proc.poll() is not None:
            sys.exit(f"sweep: canopy serve exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    sys.exit("sweep: the server did not answer /healthz in time")


def write_doc(section: str, backend: str) -> None:
    path = os.path.join(ROOT, "docs", "performance.md")
    with open(path) as f:
        doc = f.read()
    start, end = f"<!-- pages-sweep:{backend} -->", f"<!-- /pages-sweep:{backend} -->"
    block = f"{start}\n{section}\n{end}"
    if start in doc and end in doc:
        doc = doc[: doc.index(start)] + block + doc[doc.index(end) + len(end):]
    else:
        doc = doc.rstrip() + f"\n\n## Page sweep ({backend})\n\n{block}\n"
    with open(path, "w") as f:
        f.write(doc)


def explain_doc() -> None:
    """Rewrites the reason beside each miss in the tables of docs/performance.md
    from `reasons.py` as it is now, keeping every measured figure: reasons are
    written after a sweep shows the misses."""
    path = os.path.join(ROOT, "docs", "performance.md")
    with open(path) as f:
        doc = f.read()
    for backend in ("SQLite", "PostgreSQL"):
        start, end = f"<!-- pages-sweep:{backend} -->", f"<!-- /pages-sweep:{backend} -->"
        if start not in doc or end not in doc:
            continue
        a, b = doc.index(start), doc.index(end)
        lines = doc[a:b].split("\n")
        missed = unexplained = 0
        for i, line in enumerate(lines):
            m = re.match(r"^\| (\S+) \| `([^`]+)` \|(.*)\| \*\*(.+?)\*\*(?::.*)? \|$", line)
            if not m:
                continue
            persona, page, figures, misses = m.groups()
            why = reasons.explain(persona, page, [x.strip() for x in misses.split(", ")], backend)
            missed += 1
            unexplained += 0 if why and "no reason recorded" not in why else 1
            lines[i] = f"| {persona} | `{page}` |{figures}| **{misses}**: " \
                + (f"see {why}" if why else "no reason recorded") + " |"
        # The table ends at its last row; the legend under it is written anew.
        last = max(i for i, line in enumerate(lines) if line.startswith("|"))
        table_text = "\n".join(lines[: last + 1])
        block = table_text + "\n\n" + reasons.legend(table_text) + "\n"
        block = re.sub(r"\((\d+) without a recorded reason\)", f"({unexplained} without a recorded reason)", block)
        doc = doc[:a] + block + doc[b:]
        print(f"sweep: {backend}: {missed} rows over a target, {unexplained} without a recorded reason",
              file=sys.stderr)
    with open(path, "w") as f:
        f.write(doc)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", default="/tmp/demo-l/canopy.db", help="SQLite path or postgres:// URL")
    ap.add_argument("--binary", default=os.path.join(ROOT, "target", "release", "canopy"))
    ap.add_argument("--size", default="large", help="demo size to build when the database is missing")
    ap.add_argument("--port", type=int, default=8199)
    ap.add_argument("--singles", type=int, default=20, help="single requests per page")
    ap.add_argument("--seconds", type=int, default=3, help="wrk seconds per page (0: no wrk)")
    ap.add_argument("--rounds", type=int, default=1, help="sweep this many times (memory flatness)")
    ap.add_argument("--personas", default=",".join(PERSONAS), help="comma-separated: " + ",".join(PERSONAS))
    ap.add_argument("--only", default="", help="measure only paths containing this text")
    ap.add_argument("--write-doc", action="store_true", help="write the table into docs/performance.md")
    ap.add_argument("--explain-doc", action="store_true",
                    help="only rewrite the reasons beside the misses in docs/performance.md (reasons.py)")
    args = ap.parse_args()
    if args.explain_doc:
        explain_doc()
        return

    if not shutil.which("wrk") and args.seconds > 0:
        sys.exit("sweep: wrk is not installed (apt-get install wrk), or pass --seconds 0")
    if not os.path.exists(args.binary):
        sys.exit(f"sweep: no binary at {args.binary}; run `cargo build --release` first")
    postgres = args.db.startswith(("postgres://", "postgresql://"))
    backend = "PostgreSQL" if postgres else "SQLite"
    env = dict(os.environ, CANOPY_DATABASE_URL=args.db, RUST_LOG="warn", CANOPY_BCRYPT_COST="4",
               CANOPY_BIND=f"127.0.0.1:{args.port}")
    if not postgres and not os.path.exists(args.db):
        os.makedirs(os.path.dirname(os.path.abspath(args.db)), exist_ok=True)
        print(f"sweep: building the {args.size} demo set at {args.db}", file=sys.stderr)
        subprocess.run([args.binary, "demo", "--size", args.size], env=env, check=True)

    personas = [p for p in args.personas.split(",") if p]
    tokens = {}
    for p in personas:
        out = subprocess.run([args.binary, "token", "create", "--email", PERSONAS[p], "--name", "page sweep"],
                             env=env, capture_output=True, text=True, check=True).stdout
        tokens[p] = out.strip().splitlines()[-1]

    base = f"http://127.0.0.1:{args.port}"
    server = subprocess.Popen([args.binary, "serve"], env=env, stdout=subprocess.DEVNULL)
    global SERVER_PID
    SERVER_PID = server.pid
    try:
        wait_healthy(base, server)
        load = os.getloadavg()[0]
        rss_rounds = []
        for round_no in range(args.rounds):
            rows: list[Row] = []
            probe = Client(base)
            ceiling = Row("—", "/healthz", kind="ceiling")
            measure(probe, ceiling, {}, args.singles, args.seconds)
            rows.append(ceiling)
            for p in personas:
                client = Client(base)
                client.sign_in(PERSONAS[p])
                api_headers = {"Authorization": f"Bearer {tokens[p]}"}
                for kind, path, headers in discover(client, api_headers):
                    if args.only and args.only not in path:
                        continue
                    row = Row(p, path, kind=kind)
                    measure(client, row, headers, args.singles, args.seconds)
                    rows.append(row)
                    print(f"  {p:9} {path:55} {row.status} {fmt(row.p50())} ms  {fmt(row.rps, 0)} req/s",
                          file=sys.stderr)
            last = Row("—", "/healthz", kind="ceiling")
            measure(probe, last, {}, args.singles, args.seconds)
            rows.append(last)
            mem = memory_mb(server.pid)
            rss_rounds.append(mem.get("VmRSS", float("nan")))
            print(f"sweep: round {round_no + 1} done, RSS {rss_rounds[-1]:.0f} MB "
                  f"(anon {mem.get('RssAnon', 0):.0f}, file {mem.get('RssFile', 0):.0f}, "
                  f"peak {mem.get('VmHWM', 0):.0f} MB, {mem.get('Threads', 0):.0f} threads)", file=sys.stderr)
        ceiling_rps = max(r.rps or 0 for r in rows if r.kind == "ceiling")
        missed = [r for r in rows if r.kind != "ceiling" and misses_of(r, ceiling_rps, postgres)]
        unexplained = sum(1 for r in missed if "no reason recorded" in verdict(r, ceiling_rps, postgres))
        head = (
            f"{backend}, `{args.db}`, {datetime.date.today()}, load average {load:.1f} at start, "
            f"{os.cpu_count()} cores shared with wrk. Command: `python3 bench/pages/sweep.py "
            f"{' '.join(a for a in sys.argv[1:] if a != '--write-doc')}`. "
            f"Single requests: {args.singles} one at a time (5 when the first takes over a second); "
            f"throughput: `wrk -t2 -c32 -d{args.seconds}s`. RSS after each round: "
            + ", ".join(f"{r:.0f} MB" for r in rss_rounds)
            + f". Rows over a target: {len(missed)} of {len(rows) - 2}"
            + f" ({unexplained} without a recorded reason)."
        )
        body = table(rows, ceiling_rps, postgres)
        section = head + "\n\n" + body + "\n\n" + reasons.legend(body)
        print(section)
        if args.write_doc:
            write_doc(section, backend)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()


if __name__ == "__main__":
    main()
