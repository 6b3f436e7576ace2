#!/usr/bin/env bash
# Timesheet saves on a copy of a data set: serves BINARY on a fresh copy of DB,
# assigns the demo's root owner to project 1 from 2000-01-03, and runs
# bench/wrk/timesheet_save.lua with wrk; prints saves/s, latency, the server's
# CPU time per save and its RSS. Run by hand (docs/performance.md, "Timesheet
# saves"), never in CI.
#
#   [TEAMS=N] bench/wrk/saves.sh [BINARY] [DB] [PORT] [SECONDS]
#   bench/wrk/saves.sh target/release/canopy /tmp/demo-l/canopy.db 18300 10
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
BIN=${1:-target/release/canopy}
SRC=${2:-/tmp/demo-l/canopy.db}
PORT=${3:-18300}
SECONDS_RUN=${4:-10}
WORK=$(mktemp -d /tmp/canopy-saves.XXXXXX)
trap 'kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; rm -rf "$WORK"' EXIT
cp "$SRC" "$WORK/canopy.db"
export CANOPY_DATABASE_URL=$WORK/canopy.db CANOPY_BCRYPT_COST=4 RUST_LOG=warn
export CANOPY_BIND=127.0.0.1:$PORT
TOKEN=$("$BIN" token create --email owner@canopy.demo --name saves | tail -1)
"$BIN" serve >/dev/null &
PID=$!
until curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1; do sleep 0.3; done
OWNER=$(curl -fsS -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/api/v1/me" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
curl -fsS -o /dev/null -X PUT -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
    -d '{"role":"member","minutes_per_week":2400,"start_date":"2000-01-03"}' \
    "http://127.0.0.1:$PORT/api/v1/projects/1/assignments/$OWNER"
# TEAMS=N: the owner joins the first N teams first, so each save also keeps
# those teams' sums (team_week_totals, team_month_totals).
for team in $(seq 1 "${TEAMS:-0}"); do
    curl -fsS -o /dev/null -X PUT -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
        -d '{"lead":false}' "http://127.0.0.1:$PORT/api/v1/teams/$team/members/$OWNER"
done
cpu() { awk '{print $14 + $15}' "/proc/$PID/stat"; }
before=$(cpu)
out=$(TOKEN=$TOKEN USER_ID=$OWNER PROJECT_ID=1 wrk -t2 -c16 -d"${SECONDS_RUN}s" --latency \
    -s bench/wrk/timesheet_save.lua "http://127.0.0.1:$PORT")
after=$(cpu)
requests=$(echo "$out" | awk '/requests in/ {print $1}')
ticks=$(getconf CLK_TCK)
echo "$out" | grep -E "Requests/sec|^ +50%|^ +99%|Non-2xx|requests in"
python3 - "$before" "$after" "$ticks" "$requests" "$PID" <<'PY'
import sys
before, after, ticks, requests, pid = (float(a) for a in sys.argv[1:])
rss = next(l.split()[1] for l in open(f"/proc/{int(pid)}/status") if l.startswith("VmRSS"))
print(f"server CPU per save: {(after - before) / ticks / requests * 1000:.3f} ms; RSS {int(rss) // 1024} MB")
PY
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
