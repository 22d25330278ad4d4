"""Core: settings, database, clock, audit, problems; imports no domain."""
