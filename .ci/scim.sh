#!/usr/bin/env bash
# scim2-tester (from PyPI) against /scim/v2 on a running instance: a fresh
# SQLite database in a temporary directory, an owner made by `canopy admin
# create`, and through the API an org "Acme" with its Org admin, whose SCIM
# token for Acme the checker uses. Every check the tester runs must pass;
# the run exits non-zero on any error (see docs/operations.md, "SCIM
# compliance").
#
#   .ci/scim.sh [path/to/canopy]      (default: target/release/canopy)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD

BIN=$(realpath "${1:-target/release/canopy}")
VERSION=0.5.2
VENV=${SCIM_VENV:-$ROOT/target/scim2-tester-$VERSION}

[ -x "$BIN" ] || { echo "no canopy binary at $BIN (build it first)" >&2; exit 1; }

if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import scim2_tester, httpx2' 2>/dev/null; then
    echo "Installing scim2-tester $VERSION into $VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "scim2-tester[httpx2]==$VERSION"
fi

WORK=$(mktemp -d)
SERVER_PID=
cleanup() {
    if [ -n "$SERVER_PID" ]; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export CANOPY_DATABASE_URL="$WORK/canopy.db"
export CANOPY_BIND="127.0.0.1:$PORT"
export CANOPY_BCRYPT_COST=4
export RUST_LOG=${RUST_LOG:-warn}

cd "$WORK"
"$BIN" migrate >/dev/null
"$BIN" admin create --email owner@scim.test --name Owner --password "owner password 1" >/dev/null
OWNER=$("$BIN" token create --email owner@scim.test --name scim-ci | tail -n 1)

"$BIN" serve >"$WORK/server.log" 2>&1 &
SERVER_PID=$!

# The owner makes Acme and its Org admin; the admin makes Acme's SCIM token.
SCIM_TOKEN=$(BASE="http://127.0.0.1:$PORT/api/v1" OWNER="$OWNER" BIN="$BIN" python3 - <<'PY'
import json, os, subprocess, time, urllib.request

base, owner = os.environ["BASE"], os.environ["OWNER"]

def call(method, path, token, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, method=method, headers={
        "Authorization": "Bearer " + token, "Content-Type": "application/json"})
    for _ in range(60):
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                return json.load(answer)
        except urllib.error.HTTPError:
            raise
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"no answer from {path}")

root = call("GET", "/orgs", owner)["items"][0]["id"]
acme = call("POST", "/orgs", owner, {"parent_id": root, "name": "Acme", "code": "ACME"})["id"]
admin = call("POST", "/users", owner, {"org_id": acme, "email": "admin@acme.test",
                                       "display_name": "Acme Admin", "password": "admin password 1"})
role = next(r["id"] for r in call("GET", f"/roles?org_id={acme}", owner)["items"] if r["name"] == "Org admin")
call("POST", "/grants", owner, {"role_id": role, "user_id": admin["id"], "org_id": acme})
admin_token = subprocess.run([os.environ["BIN"], "token", "create", "--email", "admin@acme.test",
                              "--name", "scim-ci"], check=True, capture_output=True,
                             text=True).stdout.strip().splitlines()[-1]
print(call("POST", f"/orgs/{acme}/scim-tokens", admin_token, {"name": "scim2-tester"})["token"])
PY
)

status=0
URL="http://127.0.0.1:$PORT/scim/v2" TOKEN="$SCIM_TOKEN" "$VENV/bin/python" - <<'PY' || status=$?
import os, sys
from httpx2 import Client
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server

client = Client(base_url=os.environ["URL"], headers={"Authorization": "Bearer " + os.environ["TOKEN"]})
results = check_server(SyncSCIMClient(client))
failed = 0
for r in results:
    if r.status in (Status.ERROR, Status.CRITICAL):
        failed += 1
    where = f" [{r.resource_type}]" if r.resource_type else ""
    print(f"{r.status.name:10} {r.title}{where}: {r.reason or ''}")
counts = {}
for r in results:
    counts[r.status.name] = counts.get(r.status.name, 0) + 1
print("summary:", ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
sys.exit(1 if failed else 0)
PY

if [ "$status" -ne 0 ]; then
    echo "--- last lines of the server's log ---"
    tail -n 40 "$WORK/server.log" || true
fi
exit "$status"
