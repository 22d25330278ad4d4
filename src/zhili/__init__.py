"""Zhili (治理): closed-loop, multi-agency grassroots governance."""
