"""Use cases (profiles, cases, search, audit, demo data). The UI and the CLI call only these."""
