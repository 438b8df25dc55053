"""Notifications: written to an outbox in the transaction of what caused them, delivered later, at least once.

messages.py    the texts (German and English)
recipients.py  who is told: people by role, resolved when a reminder fires
writer.py      outbox rows for a deadline's firing (unique key, mutes, skipped ones recorded)
steps.py       outbox rows for a proposal's step: its applicants and the alliance's webhook are told
store.py       the SQL of the outbox, mutes and claims
outbox.py      use cases: claim and settle deliveries, the in-app inbox, preferences, the operator's view
"""
