#!/usr/bin/env python3
"""Times what a seat pool costs a person without a seat on the large demo set
(SQLite): the grid page (it says whether a seat is left) and their first time
entry (a seat given automatically), one request at a time.

    python3 bench/seats/first_entry.py --binary target/release/canopy --db /tmp/seats/large.db

Builds the large demo set at --db when it is missing, then (straight into the
database, before serving) sets a pool of 30,000 seats at the root, shares of 100
at five customers, and gives root seats to 15,000 people outside those shares.
The person is the demo's employee (`employee@c0001.demo`), whose customer has no
share: they draw from the root pool. Between two saves their seat is taken back
(in the database), so every save is a first entry.
"""

import argparse
import datetime
import json
import os
import re
import sqlite3
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import http.cookiejar

PASSWORD = "canopy-demo-2026"
EMAIL = "employee@c0001.demo"


def setup(db: str) -> int:
    con = sqlite3.connect(db, timeout=30)
    cur = con.cursor()
    root = cur.execute("SELECT id FROM orgs WHERE parent_id IS NULL").fetchone()[0]
    (me, home) = cur.execute("SELECT id, org_id FROM users WHERE email_key = ?", (EMAIL,)).fetchone()
    mine = {r[0] for r in cur.execute("SELECT ancestor_id FROM org_closure WHERE descendant_id = ?", (home,))}
    shares = [r[0] for r in cur.execute(
        "SELECT id FROM orgs WHERE parent_id = ? ORDER BY id", (root,)) if r[0] not in mine][:5]
    now = "2026-12-05 00:00:00"
    cur.execute("DELETE FROM seat_assignments")
    cur.execute("DELETE FROM org_settings WHERE key = 'seats'")
    cur.execute("INSERT INTO org_settings (org_id, key, value, updated_at) VALUES (?, 'seats', '30000', ?)", (root, now))
    for s in shares:
        cur.execute("INSERT INTO org_settings (org_id, key, value, updated_at) VALUES (?, 'seats', '100', ?)", (s, now))
    marks = ",".join("?" * len(shares))
    cur.execute(
        f"INSERT INTO seat_assignments (user_id, pool_org_id, assigned_at, assigned_by, how) "
        f"SELECT id, ?, ?, NULL, 'hand' FROM users WHERE id != ? AND status = 'active' AND org_id NOT IN "
        f"(SELECT descendant_id FROM org_closure WHERE ancestor_id IN ({marks})) ORDER BY id LIMIT 15000",
        (root, now, me, *shares))
    con.commit()
    print(f"pool 30000 at org {root}, shares of 100 at {shares}, "
          f"{cur.execute('SELECT count(*) FROM seat_assignments').fetchone()[0]} seats given", file=sys.stderr)
    return me


def take_back(db: str, me: int) -> None:
    con = sqlite3.connect(db, timeout=30)
    con.execute("DELETE FROM seat_assignments WHERE user_id = ?", (me,))
    con.commit()
    con.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--db", required=True)
    ap.add_argument("--port", type=int, default=18610)
    ap.add_argument("--runs", type=int, default=10)
    args = ap.parse_args()
    env = dict(os.environ, CANOPY_DATABASE_URL=args.db, RUST_LOG="warn", CANOPY_BCRYPT_COST="4",
               CANOPY_BIND=f"127.0.0.1:{args.port}")
    if not os.path.exists(args.db):
        subprocess.run([args.binary, "demo", "--size", "large"], env=env, check=True)
    # The migrations run on serve; a token and the pools before it starts.
    token = subprocess.run([args.binary, "token", "create", "--email", EMAIL, "--name", "seats bench"],
                           env=env, capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
    me = setup(args.db)
    base = f"http://127.0.0.1:{args.port}"
    server = subprocess.Popen([args.binary, "serve"], env=env, stdout=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=2).read()
                break
            except Exception:
                time.sleep(0.3)
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        body = opener.open(base + "/sign-in").read()
        csrf = re.search(rb'name="csrf_token" value="([^"]+)"', body).group(1).decode()
        form = urllib.parse.urlencode({"csrf_token": csrf, "next": "/", "email": EMAIL, "password": PASSWORD}).encode()
        opener.open(urllib.request.Request(base + "/sign-in", data=form, method="POST")).read()
        api = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

        def call(method, path, data=None):
            req = urllib.request.Request(base + "/api/v1" + path, method=method, headers=api,
                                         data=None if data is None else json.dumps(data).encode())
            started = time.perf_counter()
            try:
                with urllib.request.urlopen(req, timeout=120) as r:
                    out = (r.status, json.loads(r.read() or b"null"))
            except urllib.error.HTTPError as e:
                out = (e.code, json.loads(e.read() or b"null"))
            return out, (time.perf_counter() - started) * 1000

        today = datetime.date.today()
        week = today - datetime.timedelta(days=today.weekday())
        (status, sheet), _ = call("GET", f"/timesheets/{me}/{week}")
        if status != 200:
            sys.exit(f"GET week answered {status}: {sheet}")
        project = None
        for back in range(1, 30):
            (_, old), _ = call("GET", f"/timesheets/{me}/{week - datetime.timedelta(weeks=back)}")
            if old and old.get("entries"):
                project = old["entries"][0]["project_id"]
                break
        version = sheet["version"]
        grid, saves = [], []
        for i in range(args.runs):
            take_back(args.db, me)
            started = time.perf_counter()
            r = opener.open(f"{base}/timesheets/{me}/{week}")
            r.read()
            grid.append((time.perf_counter() - started) * 1000)
            take_back(args.db, me)
            entries = [{"project_id": project, "date": str(week), "minutes": 15 * (4 + i)}]
            (status, out), ms = call("PUT", f"/timesheets/{me}/{week}", {"version": version, "entries": entries})
            if status != 200:
                sys.exit(f"save answered {status}: {out}")
            version = out["version"]
            saves.append(ms)
            con = sqlite3.connect(args.db, timeout=30)
            how = con.execute("SELECT how FROM seat_assignments WHERE user_id = ?", (me,)).fetchone()
            con.close()
            if how != ("automatic",):
                sys.exit(f"the save gave no seat: {how}")
        for name, xs in (("grid page, no seat", grid), ("first time entry (PUT, seat given)", saves)):
            print(f"{name}: median {statistics.median(xs):.1f} ms, min {min(xs):.1f}, max {max(xs):.1f} "
                  f"({len(xs)} runs: {', '.join(f'{x:.0f}' for x in xs)})")
    finally:
        server.terminate()
        server.wait(timeout=20)


if __name__ == "__main__":
    main()
