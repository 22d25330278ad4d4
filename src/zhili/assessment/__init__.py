"""Assessment (四维考评): a model kept as data, and scores computed from the event record."""
