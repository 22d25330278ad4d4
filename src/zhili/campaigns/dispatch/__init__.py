"""Dispatching campaigns: one click or level by level (逐级派单), closing, reading campaigns, their API and pages."""
