"""The clock: code-defined APScheduler ticks that sweep due deadline rows and drain the notification outbox.

Empty until the deadlines issue; the engine already takes `now` as a parameter everywhere, so the ticks will only
call the service with the current time.
"""
