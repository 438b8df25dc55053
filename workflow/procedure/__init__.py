"""A procedure as data: its TOML definition loaded and validated, the state machine, rules, inputs, roles' texts."""
