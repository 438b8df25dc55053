"""What an actor may do with a proposal they see: edit its content, answer its conditions, take which steps.

The pages show a form only where these say yes, and the services refuse by the same rules (the proposal service
an edit, the condition service an answer, the machine a step), so a page never offers what would be refused. The
steps come from the proposal's view, which the machine already answered for the actor (`ProposalView.allowed`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from workflow.errors import Forbidden, InvalidTransition
from workflow.people.actors import Actor
from workflow.people.roles import Role
from workflow.procedure.rules import UNJUDGED
from workflow.proposals.views import AllowedTransition, ProposalView

# A condition is answered until it is judged: an answer may be improved while the proposal is being revised.
ANSWERABLE = UNJUDGED


class Condition(Protocol):
    """What this needs of a condition (review/conditions.py's ConditionView has it)."""

    @property
    def id(self) -> int: ...

    @property
    def status(self) -> str: ...


@dataclass(frozen=True)
class ProposalActions:
    may_edit: bool  # the content and the funding plan (the edit form)
    answerable: frozenset[int]  # the conditions whose answer form is shown, by id
    steps: tuple[AllowedTransition, ...]  # the steps the actor may take now, each with what still blocks it


def writes_proposals(actor: Actor) -> bool:
    """Proposals are written by the applicants of an organisation, for it."""
    return actor.role == Role.APPLICANT and actor.organisation_id is not None


def require_writer(actor: Actor) -> None:
    if not writes_proposals(actor):
        raise Forbidden("only applicants of an organisation write proposals")


def revises(actor: Actor, view: ProposalView) -> bool:
    """The applicant works on their proposal while its state is an editable one (a draft, a revision): its content,
    and the answers to the conditions of a second reading."""
    return writes_proposals(actor) and view.editable


def require_editable(actor: Actor, view: ProposalView) -> None:
    """Refused as the edit form and the service refuse it: another role may not, and no one in a state that is not
    editable."""
    require_writer(actor)
    if not view.editable:
        raise InvalidTransition(f"a proposal in state '{view.state_label['de']}' cannot be edited",
                                state=view.state, transition="edit")


def proposal_actions(actor: Actor, view: ProposalView, conditions: Iterable[Condition] = ()) -> ProposalActions:
    """What the actor may do with the proposal as the page loaded it (its view, its current conditions)."""
    revising = revises(actor, view)
    return ProposalActions(
        may_edit=revising,
        answerable=frozenset(c.id for c in conditions if revising and c.status in ANSWERABLE),
        steps=tuple(view.allowed))
