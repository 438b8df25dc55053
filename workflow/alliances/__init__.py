"""Setting up alliances, organisations, budgets, rounds and users (the office's and the admin's work)."""
