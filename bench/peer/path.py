"""The engine bench's happy path (bench.engine.HAPPY_PATH) as steps of proposal.bpmn.

Each step names our transition, the BPMN user task that stands for it and the data the person enters when
completing it: the same inputs the engine bench passes (tests.factories.sample_value), plus the data field the
next exclusive gateway decides on where our procedure has a guard or a choice between transitions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BPMN_FILE = Path(__file__).with_name("proposal.bpmn")
PROCESS_ID = "proposal"
FINAL_EVENT = "closed"
END_EVENTS = frozenset({FINAL_EVENT, "rejected", "not_prioritised"})

CONDITION = "Kooperativen Ansatz mit HTWK und Inspirata e.V. erarbeiten"
DATE = "2026-06-15"
REASON = "Begründung laut Beschluss der Lenkungsgruppe"


@dataclass(frozen=True)
class PeerStep:
    transition: str  # our name, as in bench.engine.HAPPY_PATH
    task: str  # the BPMN user task's id
    data: dict[str, Any] = field(default_factory=dict)


PATH: tuple[PeerStep, ...] = (
    PeerStep("submit", "submit", {"funding_plan_complete": True}),
    PeerStep("open_review", "open_review"),
    PeerStep("request_revision", "review_decision",
             {"decision": "request_revision", "conditions": [CONDITION], "revision_deadline": DATE,
              "next_session": DATE}),
    PeerStep("resubmit", "resubmit", {"funding_plan_complete": True, "conditions_answered": True}),
    PeerStep("prioritise", "review_decision", {"decision": "prioritise", "budget_covers": True}),
    PeerStep("forward", "forward", {"documents": [CONDITION]}),
    PeerStep("approve", "bank_decision",
             {"decision": "approve", "bank_reference": "SAB-2026-0815", "decision_date": DATE,
              "approved_amounts": {"2026": "45000.00"}}),
    PeerStep("start_implementation", "start_implementation", {"start_date": DATE}),
    PeerStep("submit_proof_of_use", "submit_proof_of_use", {"document": "SAB-2026-0815"}),
    PeerStep("accept_proof_of_use", "check_proof_of_use", {"decision": "accept"}),
)
