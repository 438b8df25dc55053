"""What the review store reads, as typed records instead of SQLAlchemy rows (issue 23, point 4).

As in workflow/proposals/records.py: a record's fields are its select's columns, with their names and in their
order (`record_columns`), and the store makes it as `Record(*row)`. A record of a whole table has a field for
every column of the table (tests/workflow/test_records.py holds them to the schema).
"""

from __future__ import annotations

from dataclasses import dataclass

from workflow.proposals.records import AuditRecord


@dataclass(frozen=True, slots=True)
class DecisionRecord(AuditRecord):
    """A step decided in a steering-group meeting: its audit row and the proposal's title."""

    title: str
