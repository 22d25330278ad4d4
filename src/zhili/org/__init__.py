"""The organisation (条块): divisions, grids, departments, people, positions, scopes."""
