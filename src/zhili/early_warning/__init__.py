"""事前预警: early warning of wage arrears from department data joined per enterprise.

The enterprise register, the department feeds (one declared schema each, with provenance), the
monthly panel they make, the detectors that score it, the warnings they raise and the loop that
turns a warning into a 欠薪处置 case. See docs/reference/feeds.md and docs/reference/early-warning.md.
"""
