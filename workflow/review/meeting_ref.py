"""A step or a condition may name the steering-group meeting (Sitzung; `session_id` in the API and the tables) it was
decided in: it must be that alliance's."""

from __future__ import annotations

from sqlmodel import Session

from workflow.errors import FieldProblem, InvalidInput
from workflow.review import store


def check_meeting(session: Session, meeting_id: int, *, alliance_id: int, field: str = "session_id") -> None:
    row = store.session_row(session, meeting_id)
    if row is None or row.alliance_id != alliance_id:
        raise InvalidInput([FieldProblem(field, f"no session {meeting_id} of this proposal's alliance")])
