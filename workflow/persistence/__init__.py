"""The database: engine and sessions, the tables, migrations, the SQLite writer lock, sealed secrets."""
