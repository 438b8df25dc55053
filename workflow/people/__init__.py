"""People: accounts, roles, actors, tokens, sign-in and its throttle."""
