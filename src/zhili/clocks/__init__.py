"""Clocks: the work calendar, durable timers and warning lights shared by every domain."""
