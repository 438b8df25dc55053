"""The reliability suite: races, crashes, several schedulers, a mail outage and fuzzing against served processes."""
