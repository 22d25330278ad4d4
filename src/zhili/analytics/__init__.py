"""Analytics: KPIs per matter, division, unit and month from the case record, and before/after comparisons."""
