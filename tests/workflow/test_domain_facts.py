"""Facts of the Saxon procedure, written down by hand from domain.md, so that a wrong definition cannot pass.

The transition matrix checks the engine against the TOML; this checks the TOML against the domain.
"""

from __future__ import annotations

import pytest

from workflow.procedure.definition import Procedure
from workflow.procedure.registry import ProcedureRegistry

BANK_DECISIONS = {"forwarded_to_bank"}
DECIDED_BY_BANK = {"approved", "rejected", "in_implementation", "proof_of_use_submitted", "closed"}


@pytest.fixture(scope="module")
def saxony(procedures: ProcedureRegistry) -> Procedure:
    return procedures.get("saxony-regional", 1)


@pytest.mark.parametrize(("transition", "roles"), [
    ("submit", {"applicant"}),              # only the applicant submits their proposal
    ("resubmit", {"applicant"}),
    ("withdraw", {"applicant"}),
    # The decision is the bank's alone (einstufiges Verfahren); the managing member may record it on the bank's
    # letter (Zuwendungsbescheid), so the manager fires it too.
    ("approve", {"bank", "manager"}),
    ("reject", {"bank", "manager"}),
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


def test_prioritising_and_declining_happen_in_review_or_second_reading_or_from_the_waiting_list(
    saxony: Procedure,
) -> None:
    for name in ("prioritise", "decline"):
        assert set(saxony.transitions[name].sources) == {"in_review", "second_reading", "waiting_list"}
    # Only a decided review puts a proposal on the waiting list; it leaves it prioritised, declined or withdrawn.
    assert set(saxony.transitions["put_on_waiting_list"].sources) == {"in_review", "second_reading"}
    assert {t.name for t in saxony.transitions_from("waiting_list")} == {"prioritise", "decline", "withdraw"}


def test_only_scored_proposals_above_the_threshold_are_prioritised_or_wait(saxony: Procedure) -> None:
    for name in ("prioritise", "put_on_waiting_list"):
        assert {"quorum_scored", "score_threshold_met"} <= set(saxony.transitions[name].guards)
    assert {"conditions_met", "budget_covers"} <= set(saxony.transitions["prioritise"].guards)
    assert "conditions_answered" in saxony.transitions["resubmit"].guards
    # A priorisation earmarks the grant: it counts against the budget from then on.
    assert saxony.state("prioritised").binds_budget and not saxony.state("waiting_list").binds_budget


def test_refusals_need_a_reason_and_submissions_a_complete_plan_in_an_open_round(saxony: Procedure) -> None:
    for name in ("decline", "reject", "withdraw"):
        assert "reason_given" in saxony.transitions[name].guards
    assert {"funding_plan_complete", "round_open"} <= set(saxony.transitions["submit"].guards)
    assert "budget_covers" in saxony.transitions["forward"].guards


def test_a_second_reading_records_its_conditions_deadline_and_session(saxony: Procedure) -> None:
    required = {i.name for i in saxony.transitions["request_revision"].inputs if i.required}
    assert required == {"conditions", "revision_deadline", "next_session"}
    # A second reading may end in another one (its conditions not met yet).
    assert set(saxony.transitions["request_revision"].sources) == {"in_review", "second_reading"}
    assert {i.name for i in saxony.transitions["approve"].inputs if i.required} == {"bank_reference"}


def test_drafts_are_private_and_the_bank_sees_only_what_reached_it(saxony: Procedure) -> None:
    assert not saxony.state("draft").alliance_stage and saxony.state("draft").editable
    assert saxony.state("submitted").alliance_stage
    assert {n for n, s in saxony.states.items() if s.bank_stage} == BANK_DECISIONS | DECIDED_BY_BANK
    assert {n for n, s in saxony.states.items() if s.terminal} == {"not_prioritised", "rejected", "withdrawn",
                                                                   "closed"}
