"""Retention analytics: per-customer recency/frequency/monetary summaries and customer-lifetime-value models
(BG/NBD purchase and dropout model, Gamma-Gamma spend model), pure numpy functions with no I/O."""
