"""The demo: the deterministic Quzhou world, a year of cases, the demo logins and the movable demo clock."""
