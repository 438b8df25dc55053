"""Every (state, transition, role) of every shipped procedure, asked of the pure functions, without a database.

Whether a step may be taken is a question for the procedure, the roles and visibility, all pure functions: the
service first loads the proposal as the actor may see it (`can_see`, else NotFound), then asks the procedure's
machine (`step_target`: Forbidden for the role, InvalidTransition for the state, else the target). This file
builds each proposal as it is in that state (the alliance and bank stages it passed on the driver's shortest path)
and each actor as the factory world has them, and compares the answer with the outcome computed from the TOML
itself (tests/workflow/transition_cases.py). That the service asks exactly these functions, and that a step then
moves the proposal and writes one audit row, is tests/workflow/test_transition_sample.py's: a sample of every
transition through the real service on a real database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from tests.factories import FUNDING_BANK, path_to
from tests.workflow.transition_cases import Case, Outcome, cases, definitions, expected, procedure_ref
from workflow.errors import Forbidden, InvalidTransition, NotFound
from workflow.people.actors import SYSTEM, Actor
from workflow.people.roles import Role
from workflow.procedure.definition import Procedure
from workflow.procedure.registry import SHIPPED_DIR, ProcedureRegistry
from workflow.proposals.visibility import BankOfficer, can_see

# The factory world's people (tests.factories.make_world) and their scope: the applicant's organisation (the
# proposal's), the alliance whose steering group the reviewer and manager sit in (the proposal's round's), and its
# funding bank, the bank officer's organisation. Distinct numbers, so that no scope passes for another.
ORGANISATION, ALLIANCE, BANK_ORGANISATION = 11, 21, 31
ACTORS: dict[Role, Actor] = {
    Role.APPLICANT: Actor(user_id=1, name="Prof. Wieland", role=Role.APPLICANT, organisation_id=ORGANISATION),
    Role.REVIEWER: Actor(user_id=2, name="IHK zu Leipzig", role=Role.REVIEWER, alliance_id=ALLIANCE),
    Role.MANAGER: Actor(user_id=3, name="Agentur für Arbeit Leipzig", role=Role.MANAGER, alliance_id=ALLIANCE),
    Role.BANK: BankOfficer(user_id=4, name=f"{FUNDING_BANK}, Sachbearbeitung", role=Role.BANK,
                           organisation_id=BANK_ORGANISATION, served_alliances=frozenset({ALLIANCE})),
    Role.ADMIN: Actor(user_id=5, name="Betrieb", role=Role.ADMIN),
    Role.SYSTEM: SYSTEM,
}
ONCE = datetime(2026, 4, 22, 9, 0, tzinfo=UTC)  # when a stage was reached: only whether it was matters


@dataclass
class ProposalInState:
    """What visibility reads of a proposal (workflow.proposals.visibility.ProposalScope)."""

    organisation_id: int
    alliance_id: int
    reached_alliance_at: datetime | None
    reached_bank_at: datetime | None


def proposal_in_state(procedure: Procedure, state: str) -> ProposalInState:
    """The proposal as the driver leaves it in `state`: it reached the alliance or the bank when a state on its
    shortest path (the initial one included) is one of their stages, as the service records it step by step."""
    passed = [procedure.initial, *(t.to for t in path_to(procedure, state))]
    return ProposalInState(
        organisation_id=ORGANISATION, alliance_id=ALLIANCE,
        reached_alliance_at=ONCE if any(procedure.state(s).alliance_stage for s in passed) else None,
        reached_bank_at=ONCE if any(procedure.state(s).bank_stage for s in passed) else None)


def engine_outcome(registry: ProcedureRegistry, case: Case) -> Outcome:
    """What the service's checks answer before any rule or write: in the order it asks them."""
    key, version = procedure_ref(case.procedure)
    machine = registry.machine(key, version)
    actor = ACTORS[case.role]
    if not can_see(actor, proposal_in_state(machine.procedure, case.state)):
        return NotFound
    try:
        _, target = machine.step_target(case.state, actor.role, case.transition)
    except (Forbidden, InvalidTransition) as error:
        return type(error)
    return target


@pytest.mark.parametrize("case", cases(), ids=str)
def test_triple(case: Case, procedures: ProcedureRegistry) -> None:
    assert engine_outcome(procedures, case) == expected(case)


def test_every_state_is_reachable_by_the_driver(procedures: ProcedureRegistry) -> None:
    for procedure in procedures.all():
        for state in procedure.states:
            steps = path_to(procedure, state)
            assert (steps[-1].to if steps else procedure.initial) == state


def test_matrix_size_is_the_full_product() -> None:
    every = definitions()
    assert {"saxony-regional.v1", "lower-saxony-regional.v1"} <= set(every)
    assert {path.stem for path in SHIPPED_DIR.glob("*.toml")} == set(every)
    for stem, data in every.items():
        triples = {(c.state, c.transition, c.role) for c in cases() if c.procedure == stem}
        assert len(triples) == len(data["states"]) * len(data["transitions"]) * len(Role), stem


def test_every_kind_of_outcome_occurs() -> None:
    # A matrix in which, say, nothing was ever refused for its state would check less than it seems to.
    for stem in definitions():
        kinds = {expected(c) if not isinstance(expected(c), str) else str for c in cases() if c.procedure == stem}
        assert kinds == {NotFound, Forbidden, InvalidTransition, str}, stem
