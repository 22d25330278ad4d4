"""The matter catalog (事项目录): versioned definitions of each kind of matter, as data."""
