"""一件事: cases — the closed-loop lifecycle, routing, collaboration and consultation meetings."""
