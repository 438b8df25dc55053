"""Facts of the Saxon procedure, written down by hand from domain.md, so that a wrong definition cannot pass.

The transition matrix checks the engine against the TOML; this checks the TOML against the domain.
"""

from __future__ import annotations

import pytest

from workflow.procedure import Procedure
from workflow.registry import ProcedureRegistry

BANK_DECISIONS = {"forwarded_to_bank"}
DECIDED_BY_BANK = {"approved", "rejected", "in_implementation", "proof_of_use_submitted", "closed"}


@pytest.fixture(scope="module")
def saxony(procedures: ProcedureRegistry) -> Procedure:
    return procedures.get("saxony-regional", 1)


@pytest.mark.parametrize(("transition", "roles"), [
    ("submit", {"applicant"}),              # only the applicant submits their proposal
    ("resubmit", {"applicant"}),
    ("withdraw", {"applicant"}),
    ("approve", {"bank"}),                  # the decision is the bank's alone (einstufiges Verfahren)
    ("reject", {"bank"}),
    ("prioritise", {"manager"}),            # the managing member records the steering group's decisions
    ("decline", {"manager"}),
    ("request_revision", {"manager"}),
    ("forward", {"manager"}),
])
def test_who_decides_what(saxony: Procedure, transition: str, roles: set[str]) -> None:
    assert set(saxony.transitions[transition].roles) == roles


def test_no_withdrawal_after_the_bank_decided(saxony: Procedure) -> None:
    sources = set(saxony.transitions["withdraw"].sources)
    assert "forwarded_to_bank" in sources and not sources & DECIDED_BY_BANK


def test_the_bank_decides_only_what_was_forwarded(saxony: Procedure) -> None:
    for name in ("approve", "reject"):
        assert set(saxony.transitions[name].sources) == BANK_DECISIONS


def test_prioritising_and_declining_happen_in_review_or_second_reading(saxony: Procedure) -> None:
    for name in ("prioritise", "decline"):
        assert set(saxony.transitions[name].sources) == {"in_review", "second_reading"}


def test_refusals_need_a_reason_and_submissions_a_complete_plan_in_an_open_round(saxony: Procedure) -> None:
    for name in ("decline", "reject", "withdraw"):
        assert "reason_given" in saxony.transitions[name].guards
    assert {"funding_plan_complete", "round_open"} <= set(saxony.transitions["submit"].guards)
    assert "budget_covers" in saxony.transitions["forward"].guards


def test_a_second_reading_records_its_conditions_deadline_and_session(saxony: Procedure) -> None:
    required = {i.name for i in saxony.transitions["request_revision"].inputs if i.required}
    assert required == {"conditions", "revision_deadline", "next_session"}
    assert {i.name for i in saxony.transitions["approve"].inputs if i.required} == {"bank_reference"}


def test_drafts_are_private_and_the_bank_sees_only_what_reached_it(saxony: Procedure) -> None:
    assert not saxony.state("draft").alliance_stage and saxony.state("draft").editable
    assert saxony.state("submitted").alliance_stage
    assert {n for n, s in saxony.states.items() if s.bank_stage} == BANK_DECISIONS | DECIDED_BY_BANK
    assert {n for n, s in saxony.states.items() if s.terminal} == {"not_prioritised", "rejected", "withdrawn",
                                                                   "closed"}
