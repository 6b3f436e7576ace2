"""Single-request medians (after one warm-up) of the pages named on the command
line, each as one of the sweep's personas, against a server started here:

    N=7 python3 bench/pages/paths_measure.py BINARY DB PORT owner:/reports/project-hours admin:/orgs

Set RUST_LOG=canopy::domain::report=debug to see each report statement's time.
"""
import os, statistics, subprocess, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sweep
binary, db, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
paths = [tuple(a.split(':',1)) for a in sys.argv[4:]]
env = dict(os.environ, CANOPY_DATABASE_URL=db, RUST_LOG=os.environ.get("RUST_LOG","warn"), CANOPY_BCRYPT_COST="4", CANOPY_BIND=f"127.0.0.1:{port}")
base = f"http://127.0.0.1:{port}"
server = subprocess.Popen([binary, "serve"], env=env, stdout=subprocess.DEVNULL)
try:
    sweep.wait_healthy(base, server)
    print(f"load {os.getloadavg()[0]:.1f}", flush=True)
    clients = {}
    for who, path in paths:
        if who not in clients:
            c = sweep.Client(base); c.sign_in(sweep.PERSONAS[who]); clients[who] = c
        c = clients[who]; c.get(path)
        times = []
        for _ in range(int(os.environ.get("N", "7"))):
            status, body, ms = c.get(path); times.append(ms)
        print(f"{who:6} {path:60} {status} p50 {statistics.median(times):7.1f} max {max(times):7.1f} ms {len(body)/1024:.0f} KB", flush=True)
finally:
    server.terminate(); server.wait()
