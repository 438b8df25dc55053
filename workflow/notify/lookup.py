"""What one batch of deadline firings needs from the database, read once for the whole batch.

A sweep handles its claimed deadlines together: their proposals, the people to tell, the alliances' webhooks and
the mutes come in a handful of IN-queries instead of several queries per deadline, which is most of what a
sweep costs per row (bench/sweep.py, README "Performance").
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from sqlmodel import Session

from workflow.notify import store
from workflow.notify.records import AllianceAddress, Person, SweptDeadline
from workflow.proposals import store as repo
from workflow.proposals.records import ProposalHeadline


class BatchLookup:
    def __init__(self, session: Session, deadlines: Sequence[SweptDeadline]) -> None:
        self.session = session
        self._proposals = repo.proposal_headlines(
            session, {d.proposal_id for d in deadlines if d.proposal_id is not None})
        self._applicants: dict[int, list[Person]] = {}
        self._staff: dict[tuple[str, int | None], Sequence[Person]] = {}
        self._alliances: dict[int, AllianceAddress] = {}
        self._muted: dict[int, set[tuple[str, str]]] = {}
        self.load_applicants(p.organisation_id for p in self._proposals.values())
        self._load_alliances({p.alliance_id for p in self._proposals.values()}
                             | {d.alliance_id for d in deadlines if d.alliance_id is not None})

    def proposal(self, proposal_id: int) -> ProposalHeadline | None:
        return self._proposals.get(proposal_id)

    def people(self, role: str, alliance_id: int | None, organisation_ids: Sequence[int]) -> list[Person]:
        if role == "applicant":
            # Only ever the applicants of the organisations named: never everyone's.
            self.load_applicants(organisation_ids)
            return [person for org in organisation_ids for person in self._applicants[org]]
        if role in ("reviewer", "manager") and alliance_id is None:
            return []
        scope = alliance_id if role in ("reviewer", "manager") else None
        if (role, scope) not in self._staff:
            self._staff[role, scope] = store.users(self.session, role=role, alliance_id=scope)
        return list(self._staff[role, scope])

    def webhook(self, alliance_id: int | None) -> str | None:
        return None if alliance_id is None else self._alliance(alliance_id, "webhook_url")

    def alliance_name(self, alliance_id: int | None) -> str | None:
        return None if alliance_id is None else self._alliance(alliance_id, "name")

    def load_mutes(self, user_ids: Iterable[int]) -> None:
        """Read all mutes of everyone the batch tells, once (a person has a few at most); `muted` answers."""
        ids = set(user_ids) - set(self._muted)
        for user_id in ids:
            self._muted[user_id] = set()
        for user_id, topic, channel in store.mutes_of_many(self.session, ids):
            self._muted[user_id].add((topic, channel))

    def mutes(self, user_id: int) -> set[tuple[str, str]]:
        """The person's (topic, channel) mutes: mostly none, which a batch checks once per person."""
        if user_id not in self._muted:
            self.load_mutes([user_id])
        return self._muted[user_id]

    def load_applicants(self, organisation_ids: Iterable[int]) -> None:
        missing = set(organisation_ids) - set(self._applicants)
        if not missing:
            return
        found: dict[int | None, list[Person]] = defaultdict(list)
        for person in store.users(self.session, role="applicant", organisation_ids=missing):
            found[person.organisation_id].append(person)
        for org in missing:
            self._applicants[org] = found.get(org, [])

    def _load_alliances(self, alliance_ids: Iterable[int]) -> None:
        missing = set(alliance_ids) - set(self._alliances)
        if missing:
            self._alliances.update(store.alliances_by_id(self.session, missing))

    def _alliance(self, alliance_id: int, column: str) -> Any:
        self._load_alliances([alliance_id])
        alliance = self._alliances.get(alliance_id)
        return None if alliance is None else getattr(alliance, column)
