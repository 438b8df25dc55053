"""The clock and the notification channels: a thin adapter between time and the engine.

ticks.py     the three things done on time: sweep due deadlines, close rounds, drain the outbox
clock.py     APScheduler running the ticks (in `foerderweg serve`, or alone in `foerderweg scheduler`)
drain.py     delivering claimed outbox messages through their channel
channels/    e-mail (SMTP) and webhooks (signed JSON POST)
"""
