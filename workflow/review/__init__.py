"""The steering group's work: sessions, scoring, second-reading conditions, priorisation, the bank hand-off."""
