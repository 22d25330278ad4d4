"""The early-warning detectors: rules, the change score, the multivariate score, risk and grades. Pure.

`assess.assess(panel, config, month)` scores, grades and explains every firm in one month;
`assess.score_history(panel, config, first, last)` gives the risk of every firm in each month.
The settings are data: `config.DetectorConfig`, default `config.load_default()`.
"""
