"""Campaign scores for assessment (四维考评): points and counts per person and per unit, and their API."""
