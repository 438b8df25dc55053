#!/usr/bin/env bash
# The README's "Using the API" walk-through: an applicant, the managing member, a steering-group member and the
# bank take one proposal along the Leipzig path. Needs curl and jq, and a server started by `python3 dev.py serve`:
#
#   source data/demo-tokens.env && bash docs/api-walkthrough.sh
#
# CI runs it against that server, so every command shown in the README is known to work.
set -euo pipefail
API=${API:-http://127.0.0.1:8000}
A="Authorization: Bearer $APPLICANT_TOKEN"; M="Authorization: Bearer $MANAGER_TOKEN"
R="Authorization: Bearer $REVIEWER_TOKEN"; B="Authorization: Bearer $BANK_TOKEN"
J="Content-Type: application/json"
step() { printf '\n### %s\n' "$*"; }

step "1. The managing member opens a round that closes in 20 seconds (so that the review can follow at once)"
closes=$(date -u -d '+20 seconds' +%Y-%m-%dT%H:%M:%SZ)
round=$(curl -sf -X POST "$API/rounds" -H "$M" -H "$J" -d "{\"alliance_id\": 1, \"name\": \"Einreichungstermin (Probe)\",
  \"opens_at\": \"2026-01-01T00:00:00\", \"closes_at\": \"$closes\"}" | jq .id)
echo "round $round closes at $closes"

step "2. The applicant writes a draft asking for more than 90 % of the cost, and tries to submit it"
id=$(curl -sf -X POST "$API/proposals" -H "$A" -H "$J" -d "{\"round_id\": $round,
  \"title\": \"MINT-Netzwerk Leipzig: Vernetzung schulischer und außerschulischer MINT-Angebote\",
  \"funding_plan\": [{\"year\": 2026, \"staff_fte\": \"0.5\", \"staff_costs\": \"18000\", \"material_costs\": \"4000\",
                     \"grant_requested\": \"20000\", \"own_share\": \"2000\", \"own_share_source\": \"Stadt Leipzig\"}]}" | jq .id)
curl -s -X POST "$API/proposals/$id/transitions" -H "$A" -H "$J" -H 'If-Match: "1"' -d '{"transition": "submit"}' \
  | jq -c '{status, failed_rules}'

step "3. She fixes the plan (PATCH names the version she read) and submits; the Idempotency-Key makes a retry safe"
curl -sf -X PATCH "$API/proposals/$id" -H "$A" -H "$J" -H 'If-Match: "1"' -d '{"funding_plan": [{"year": 2026,
  "staff_fte": "0.5", "staff_costs": "18000", "material_costs": "4000", "grant_requested": "19800", "own_share": "2200",
  "own_share_source": "Stadt Leipzig"}]}' | jq -c '{state, version}'
curl -sf -X POST "$API/proposals/$id/transitions" -H "$A" -H "$J" -H 'If-Match: "2"' -H "Idempotency-Key: submit-$id" \
  -d '{"transition": "submit"}' | jq -c '{state, state_label, version}'

step "4. After the deadline: the review opens, and the group asks for a second reading with a condition"
sleep 21
# The service's clock moves a closed round's proposals to review by itself within a minute; the managing member
# need not wait for it. Whoever comes first makes the step; the other one finds it done (409).
if [ "$(curl -sf "$API/proposals/$id" -H "$M" | jq -r .state)" = submitted ]; then
  curl -s -o /dev/null -X POST "$API/proposals/$id/transitions" -H "$M" -H "$J" -H 'If-Match: "3"' \
    -d '{"transition": "open_review"}'
fi
curl -sf "$API/proposals/$id" -H "$M" | jq -c '{state, version, allowed: [.allowed_transitions[].name]}'
curl -sf -X POST "$API/proposals/$id/transitions" -H "$M" -H "$J" -H 'If-Match: "4"' -d '{"transition": "request_revision",
  "reason": "Beschluss der Lenkungsgruppe", "inputs": {"conditions": ["Kooperativen Ansatz mit HTWK und Inspirata e.V. erarbeiten"],
  "revision_deadline": "2026-12-01", "next_session": "2026-12-08"}}' | jq -c '{state, version}'

step "5. A steering-group member sees staff shares and summed costs, no salary lines"
curl -sf "$API/proposals/$id" -H "$R" | jq -c '.funding_plan[0]'

step "6. The applicant names the partners and resubmits; the group prioritises"
curl -sf -X PATCH "$API/proposals/$id" -H "$A" -H "$J" -H 'If-Match: "5"' \
  -d '{"partners": ["HTWK Leipzig", "Inspirata e.V."]}' | jq -c '{version}'
curl -sf -X POST "$API/proposals/$id/transitions" -H "$A" -H "$J" -H 'If-Match: "6"' -d '{"transition": "resubmit"}' | jq .state
curl -sf -X POST "$API/proposals/$id/transitions" -H "$M" -H "$J" -H 'If-Match: "7"' -d '{"transition": "prioritise"}' | jq .state

step "7. Forwarding needs the year's budget; the managing member sets it, forwards, and the bank approves"
curl -s -X POST "$API/proposals/$id/transitions" -H "$M" -H "$J" -H 'If-Match: "8"' -d '{"transition": "forward"}' \
  | jq -c .failed_rules
curl -sf -X PUT "$API/alliances/1/budgets/2026" -H "$M" -H "$J" -d '{"amount": "600000.00"}' | jq -c .
curl -sf -X POST "$API/proposals/$id/transitions" -H "$M" -H "$J" -H 'If-Match: "8"' -d '{"transition": "forward"}' | jq .state
curl -sf -X POST "$API/proposals/$id/transitions" -H "$B" -H "$J" -H 'If-Match: "9"' \
  -d '{"transition": "approve", "inputs": {"bank_reference": "SAB-FKR-2026-0001"}}' | jq -c '{state, state_label}'

step "8. The whole story; and a decision made on an old version is refused"
curl -sf "$API/proposals/$id/history" -H "$A" | jq -r '.[] | "\(.seq) \(.actor_name): \(.transition // .kind) -> \(.to_state)"'
curl -s -X POST "$API/proposals/$id/transitions" -H "$B" -H "$J" -H 'If-Match: "9"' \
  -d '{"transition": "reject", "reason": "zu spät"}' | jq -c '{status, title}'
state=$(curl -sf "$API/proposals/$id" -H "$A" | jq -r .state)
[ "$state" = approved ] || { echo "expected approved, got $state"; exit 1; }
