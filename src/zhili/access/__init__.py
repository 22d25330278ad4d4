"""Access: accounts, sessions, API tokens and the acting person (Actor)."""
