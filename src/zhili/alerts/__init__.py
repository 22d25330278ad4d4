"""Alert intake (CAP 1.2) and trigger rules: official warnings in, campaigns and command groups out."""
