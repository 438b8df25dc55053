"""The `foerderweg` command: an adapter over the engine, like api/ and schedules/."""
