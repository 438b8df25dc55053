"""Procedure versions: published versions stay as they were, diffs between them, and migrations of running
proposals from one version to another by a validated plan."""
