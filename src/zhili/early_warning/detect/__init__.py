"""The early-warning detectors: rules, the change score, the multivariate score, risk and grades. Pure."""
