#!/usr/bin/env bash
# The README's "Using the API" walk-through: an applicant, the managing member, a steering-group member and the
# bank take one proposal along the Leipzig path: a second reading with a condition, the member's scores, the
# priorisation within the year's budget, the bank's approval. Needs curl and jq, and a server started by
# `python3 dev.py serve`:
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
# The round starts with the procedure's scoring scheme (a quorum of three members). In this walk-through one member
# scores, so the managing member sets the round's scheme to a quorum of one, as she may until the first score.
curl -sf "$API/rounds/$round/scoring-scheme" -H "$M" | jq '.scheme | del(.max_total) | .quorum = 1' \
  | curl -sf -X PUT "$API/rounds/$round/scoring-scheme" -H "$M" -H "$J" -d @- \
  | jq -c '{source, quorum: .scheme.quorum, min_share: .scheme.min_share, criteria: [.scheme.criteria[].key]}'

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

step "6. The applicant names the partners, answers the condition and resubmits"
curl -sf -X PATCH "$API/proposals/$id" -H "$A" -H "$J" -H 'If-Match: "5"' \
  -d '{"partners": ["HTWK Leipzig", "Inspirata e.V."]}' | jq -c '{version}'
condition=$(curl -sf "$API/proposals/$id/conditions" -H "$A" | jq '[.[] | select(.current)][0].id')
curl -sf -X POST "$API/proposals/$id/conditions/$condition/answer" -H "$A" -H "$J" \
  -d '{"text": "Kooperativer Ansatz mit HTWK und Inspirata e.V. vereinbart",
       "evidence": ["Kooperationsvereinbarung mit der HTWK"]}' | jq -c '{position, status, due_on}'
curl -sf -X POST "$API/proposals/$id/transitions" -H "$A" -H "$J" -H 'If-Match: "7"' -d '{"transition": "resubmit"}' | jq .state

step "7. In the second reading: what still blocks the priorisation; the group judges the condition, the member scores"
curl -sf "$API/proposals/$id" -H "$M" \
  | jq -c '.allowed_transitions[] | select(.name == "prioritise") | [.blocked_by[].rule]'
curl -sf -X POST "$API/proposals/$id/conditions/$condition/judgement" -H "$M" -H "$J" \
  -d '{"met": true, "note": "Kooperationsvereinbarung liegt vor"}' | jq -c '{position, status}'
curl -sf -X PUT "$API/proposals/$id/scores/me" -H "$R" -H "$J" -d '{"points": {"regional_need": 4, "concept": 4,
  "cooperation": 5, "sustainability": 3}, "ko": {"documents_complete": true, "guideline_fit": true},
  "comment": "Gute Vernetzung, Verstetigung offen"}' | jq -c '{quorum_reached, total: .result.total, share: .result.share}'

step "8. Prioritising binds the year's budget; the managing member sets it, prioritises, forwards; the bank approves"
curl -s -X POST "$API/proposals/$id/transitions" -H "$M" -H "$J" -H 'If-Match: "10"' -d '{"transition": "prioritise"}' \
  | jq -c .failed_rules
curl -sf -X PUT "$API/alliances/1/budgets/2026" -H "$M" -H "$J" -d '{"amount": "600000.00"}' | jq -c .
curl -sf -X POST "$API/proposals/$id/transitions" -H "$M" -H "$J" -H 'If-Match: "10"' -d '{"transition": "prioritise"}' | jq .state
curl -sf -X POST "$API/proposals/$id/transitions" -H "$M" -H "$J" -H 'If-Match: "11"' -d '{"transition": "forward"}' | jq .state
curl -sf -X POST "$API/proposals/$id/transitions" -H "$B" -H "$J" -H 'If-Match: "12"' \
  -d '{"transition": "approve", "inputs": {"bank_reference": "SAB-FKR-2026-0001"}}' | jq -c '{state, state_label}'

step "9. The whole story; and a decision made on an old version is refused"
curl -sf "$API/proposals/$id/history" -H "$A" | jq -r '.[] | "\(.seq) \(.actor_name): \(.transition // .kind) -> \(.to_state)"'
curl -s -X POST "$API/proposals/$id/transitions" -H "$B" -H "$J" -H 'If-Match: "12"' \
  -d '{"transition": "reject", "reason": "zu spät"}' | jq -c '{status, title}'
state=$(curl -sf "$API/proposals/$id" -H "$A" | jq -r .state)
[ "$state" = approved ] || { echo "expected approved, got $state"; exit 1; }
