#!/usr/bin/env bash
# The Simulacra quickstart with curl. JSON is read with python3 (present wherever Simulacra runs).
#   SIMULACRA_CLAIM_TOKEN=sct_... bash examples/quickstart.sh
set -euo pipefail
BASE="${SIMULACRA_URL:-http://127.0.0.1:8000}"
CSV="${QUICKSTART_CSV:-$(dirname "$0")/tracker_q3.csv}"
OUT="${QUICKSTART_OUT:-generated.csv}"
field() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
key() { python3 -c "import uuid; print(uuid.uuid4())"; }

claimed=$(curl -sf -X POST "$BASE/v1/credential-claims" -H "Idempotency-Key: $(key)" \
  -H "Content-Type: application/json" -d "{\"credential_claim_token\": \"$SIMULACRA_CLAIM_TOKEN\"}")
token=$(curl -sf -X POST "$(echo "$claimed" | field '["token_url"]')" \
  -d grant_type=client_credentials \
  -d "client_id=$(echo "$claimed" | field '["client_id"]')" \
  -d "client_secret=$(echo "$claimed" | field '["client_secret"]')" | field '["access_token"]')
auth="Authorization: Bearer $token"

wait_for() {  # poll a job until it is ready, partial or failed; print it
  while true; do
    job=$(curl -sf "$BASE/v1/jobs/$1" -H "$auth")
    status=$(echo "$job" | field '["status"]')
    case "$status" in ready|partial|failed) echo "$job"; return;; esac
    sleep 1
  done
}

upload=$(curl -sf -X POST "$BASE/v1/datasets" -H "$auth" -H "Idempotency-Key: $(key)" -F "file=@$CSV")
dataset=$(echo "$upload" | field '["dataset_id"]')
echo "uploaded as $dataset"
[ "$(wait_for "$(echo "$upload" | field '["job_id"]')" | field '["status"]')" = ready ] || { echo "dataset failed" >&2; exit 1; }
curl -sf "$BASE/v1/datasets/$dataset/schema" -H "$auth" | field '["renamed"]'

generation=$(curl -sf -X POST "$BASE/v1/datasets/$dataset/generations" -H "$auth" -H "Idempotency-Key: $(key)" \
  -H "Content-Type: application/json" \
  -d '{"row_count": 2000, "conditions": {"categorical": {"segment": {"genz_switcher": 0.3}},
       "numeric": {"price": {"min": 5.49, "max": 5.49}}}}')
job=$(wait_for "$(echo "$generation" | field '["job_id"]')")
curl -sf "$(echo "$job" | field '["artifact_url"]')" -H "$auth" -o "$OUT"
echo "downloaded $(($(wc -l < "$OUT") - 1)) rows to $OUT"
