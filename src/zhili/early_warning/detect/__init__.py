"""The early-warning detectors: rules, the change score, the multivariate score, risk and grades. Pure.

`assess(panel, config, month)` scores, grades and explains every firm in one month;
`score_history(panel, config, first, last)` gives the risk of every firm in each month.
The settings are data: `config.DetectorConfig`, default `config.load_default()`.
"""

from zhili.early_warning.detect.assess import MonthAssessment, assess, score_history
from zhili.early_warning.detect.config import DetectorConfig, load_default
from zhili.early_warning.detect.findings import DetectorKind, Finding, FirmRisk
from zhili.early_warning.detect.grades import Grade, calibrate

__all__ = [
    "DetectorConfig",
    "DetectorKind",
    "Finding",
    "FirmRisk",
    "Grade",
    "MonthAssessment",
    "assess",
    "calibrate",
    "load_default",
    "score_history",
]
