"""The typed records of whole tables have a field for every column, of the same name (issue 23, point 4).

A store selects a record's columns in its field order (`record_columns`): a column added to a table without its
field would silently not be read, a field without its column fails at import. This test catches the former.
"""

from __future__ import annotations

from dataclasses import fields

import pytest

from workflow.notify import records as notify
from workflow.persistence import models
from workflow.proposals import records
from workflow.proposals.store import table_of
from workflow.review import records as review
from workflow.versioning import records as versioning

WHOLE_TABLES: list[tuple[type[object], type[object]]] = [
    (records.ProposalRecord, models.Proposal),
    (records.FundingYearRecord, models.FundingYear),
    (records.RoundRecord, models.Round),
    (records.AuditRecord, models.AuditEvent),
    (records.DeadlineRecord, models.Deadline),
    (records.IdempotencyEntry, models.IdempotencyRecord),
    (review.SchemeRecord, models.RoundScoringScheme),
    (review.ScoreRecord, models.Score),
    (review.ConditionRecord, models.Condition),
    (review.MeetingRecord, models.SteeringSession),
    (review.AgendaItemRecord, models.AgendaItem),
    (review.ResolutionRecord, models.Resolution),
    (review.PoolRecord, models.ReservePool),
    (review.DrawRecord, models.ReserveDraw),
    (review.EarlyStartRecord, models.EarlyStart),
    (notify.OutboxRecord, models.OutboxMessage),
    (versioning.MigrationRecord, models.ProcedureMigration),
]


@pytest.mark.parametrize(("record", "model"), WHOLE_TABLES, ids=lambda x: x.__name__)
def test_a_record_of_a_table_has_its_columns(record: type[object], model: type[object]) -> None:
    columns = [c.name for c in table_of(model).columns]  # type: ignore[arg-type]
    assert sorted(f.name for f in fields(record)) == sorted(columns)  # type: ignore[arg-type]


def test_records_are_frozen_and_slotted() -> None:
    for record, _ in WHOLE_TABLES:
        assert "__slots__" in vars(record)
        assert record.__dataclass_params__.frozen  # type: ignore[attr-defined]
