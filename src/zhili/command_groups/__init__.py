"""掌上指挥: command groups, temporary task forces for a major cross-level event (SPEC F3)."""
