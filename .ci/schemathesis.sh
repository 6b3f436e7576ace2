#!/usr/bin/env bash
# Schemathesis (from PyPI) against the generated OpenAPI document, on a seeded
# instance: a fresh SQLite database filled by `canopy demo` (small), an API
# token of the demo's owner, the release binary on a free local port. Fails on
# any server error, any answer that breaks its documented schema or content
# type, and any status code the document does not list for the operation.
#
#   .ci/schemathesis.sh [path/to/canopy]      (default: target/release/canopy)
#
# SCHEMATHESIS_EXAMPLES (default 50) bounds the generated cases per operation
# and phase; SCHEMATHESIS_SEED (default 1) makes a run repeatable.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD

BIN=$(realpath "${1:-target/release/canopy}")
VERSION=4.32.5
EXAMPLES=${SCHEMATHESIS_EXAMPLES:-50}
SEED=${SCHEMATHESIS_SEED:-1}
VENV=$ROOT/target/schemathesis-$VERSION

[ -x "$BIN" ] || { echo "no canopy binary at $BIN (build it first)" >&2; exit 1; }

if [ ! -x "$VENV/bin/schemathesis" ]; then
    echo "Installing schemathesis $VERSION into $VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$VERSION"
fi
"$VENV/bin/schemathesis" --version

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
"$BIN" demo --size small
TOKEN=$("$BIN" token create --email owner@canopy.demo --name schemathesis | tail -n 1)

"$BIN" serve >"$WORK/server.log" 2>&1 &
SERVER_PID=$!

# Random ids mostly name nothing (404). Read the ids the demo made and let
# Schemathesis draw each path and filter id from those of the right kind most
# of the time, so the generated requests reach the handlers' real work too.
BASE="http://127.0.0.1:$PORT/api/v1" TOKEN="$TOKEN" python3 - >"$WORK/schemathesis.toml" <<'PY'
import json, os, time, urllib.request

base, token = os.environ["BASE"], os.environ["TOKEN"]

def get(path):
    request = urllib.request.Request(base + path, headers={"Authorization": "Bearer " + token})
    for _ in range(60):
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                return json.load(answer)
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"no answer from {path}")

def ids(path, key="id"):
    return sorted({item[key] for item in get(path)["items"] if item.get(key) is not None})

orgs = ids("/orgs?per_page=200")
kinds = {
    "org": orgs,
    "user": ids("/users?per_page=200"),
    "project": ids("/projects?per_page=200"),
    "group": ids("/groups?per_page=200"),
    "team": ids("/teams?per_page=200"),
    "role": ids(f"/roles?org_id={orgs[0]}&per_page=200"),
    "grant": ids("/grants?per_page=200"),
    "timesheet": ids("/approvals?per_page=200", "timesheet_id") or [1],
    "week": sorted({i["week_start"] for i in get("/approvals?per_page=200")["items"]}) or ["2026-01-05"],
    "report": ["monthly-by-project", "quarterly-by-project", "entries", "employee-overview",
               "project-hours", "team-hours", "team-projects-users", "org-rollup",
               "missing-timesheets"],
}
print("# Written by .ci/schemathesis.sh from the seeded instance.")
for kind, values in kinds.items():
    print(f"[dictionaries.{kind}]\nvalues = {json.dumps(values[:200] or [1])}\n")

def operations(path_regex, bindings):
    print("[[operations]]")
    print(f"include-path-regex = {json.dumps(path_regex)}")
    pairs = ", ".join(f'"{k}" = {{ dictionary = "{v}", probability = 0.8 }}' for k, v in bindings.items())
    print(f"parameters = {{ {pairs} }}\n")

filters = {f"{place}.{name}_id": kind
           for place in ("query", "body")
           for name, kind in [("org", "org"), ("user", "user"), ("project", "project"),
                              ("team", "team"), ("group", "group"), ("role", "role")]}
filters["body.parent_id"] = "org"
for prefix, kind in [("/orgs", "org"), ("/users", "user"), ("/groups", "group"), ("/teams", "team"),
                     ("/projects", "project"), ("/roles", "role"), ("/grants", "grant"),
                     ("/timesheets/\\{id\\}", "timesheet")]:
    operations("^" + prefix, {"path.id": kind, "path.user_id": "user", **filters})
operations("^/timesheets/\\{user_id\\}", {"path.user_id": "user", "path.week_start": "week"})
operations("^/reports", {"path.name": "report", **filters})
operations("^/(check|approvals|audit|invitations|me|notifications)", filters)
PY

status=0
timeout 900 "$VENV/bin/schemathesis" --config-file "$WORK/schemathesis.toml" run "http://127.0.0.1:$PORT/api/v1/openapi.json" \
    --wait-for-schema 30 \
    --header "Authorization: Bearer $TOKEN" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
    --phases examples,coverage,fuzzing,stateful \
    --max-examples "$EXAMPLES" \
    --seed "$SEED" \
    --workers 1 \
    --request-timeout 20 \
    --generation-database none \
    --suppress-health-check all \
    --no-color || status=$?

if [ "$status" -ne 0 ]; then
    echo "--- last lines of the server's log ---"
    tail -n 40 "$WORK/server.log" || true
fi
exit "$status"
