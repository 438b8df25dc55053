"""Proposals: the service that takes a step (the unit of work), reading them, their store and read models."""
