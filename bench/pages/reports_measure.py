"""Single-request medians (after one warm-up) of the report pages the root owner and
an org admin open, default and November, first and deep pages:

    N=7 python3 bench/pages/reports_measure.py BINARY DB PORT
"""
import os, signal, statistics, subprocess, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sweep

binary, db, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
env = dict(os.environ, CANOPY_DATABASE_URL=db, RUST_LOG="warn", CANOPY_BCRYPT_COST="4", CANOPY_BIND=f"127.0.0.1:{port}")
base = f"http://127.0.0.1:{port}"
server = subprocess.Popen([binary, "serve"], env=env, stdout=subprocess.DEVNULL)
NOV = "from=2026-11-01&to=2026-11-30"
paths = [
    ("owner", "/reports/entries"), ("owner", "/reports/entries?page=2"), ("owner", "/reports/entries?page=300"),
    ("owner", f"/reports/entries?{NOV}"), ("owner", f"/reports/entries?{NOV}&page=2000"),
    ("owner", "/reports/monthly-by-project"), ("owner", f"/reports/monthly-by-project?{NOV}"),
    ("owner", "/reports/quarterly-by-project"), ("owner", "/reports/project-hours"),
    ("owner", "/reports/team-hours"), ("owner", "/reports/team-projects-users"),
    ("owner", "/reports/org-rollup"), ("owner", f"/reports/org-rollup?{NOV}"),
    ("owner", "/reports/missing-timesheets"), ("owner", f"/reports/missing-timesheets?{NOV}"),
    ("owner", f"/reports/team-hours?{NOV}"),
    ("admin", "/reports/entries"), ("admin", f"/reports/entries?{NOV}"), ("admin", f"/reports/monthly-by-project?{NOV}"),
    ("admin", "/reports/monthly-by-project"), ("admin", "/reports/team-hours"), ("admin", "/reports/org-rollup"),
]
try:
    sweep.wait_healthy(base, server)
    print(f"load {os.getloadavg()[0]:.1f}", flush=True)
    clients = {}
    for who in ("owner", "admin"):
        c = sweep.Client(base); c.sign_in(sweep.PERSONAS[who]); clients[who] = c
    for who, path in paths:
        c = clients[who]
        c.get(path)  # warm
        times = []
        for _ in range(int(os.environ.get("N", "10"))):
            status, body, ms = c.get(path)
            times.append(ms)
        print(f"{who:6} {path:60} {status} p50 {statistics.median(times):7.1f} max {max(times):7.1f} ms {len(body)/1024:.0f} KB", flush=True)
    print(f"load {os.getloadavg()[0]:.1f}")
finally:
    server.send_signal(signal.SIGTERM); server.wait(timeout=20)
