"""Deadlines: declared in a procedure, stored as rows, swept by time.

definition.py  what a procedure (or config.toml) says about a deadline
schedule.py    when a deadline is due and when each reminder or escalation fires (calendar arithmetic, DST-safe)
planner.py     which deadlines a step opens and which it cancels
sweep.py       the sweep: due rows -> outbox rows and automatic steps, each row in its own transaction
"""
