"""Notifications: the outbox, its channels, the inbox and the delivery log."""
