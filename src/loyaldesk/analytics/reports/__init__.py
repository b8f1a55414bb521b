"""The figures of each analytics page, built from facts the caller read (pure: no I/O): ``retention``
(retention, churn and cohorts, members against the others), ``segments`` (RFM segments), ``value``
(customer lifetime value and churn risk) and ``impact`` (what support and loyalty do to what customers buy).
``analytics.dashboards`` builds them from ``analytics.queries`` and keeps them.
"""
