"""Feedback's reads (read session only; the caller checks the reader may see the store's feedback):
``inbox`` (answers with their context, filtered, a page at a time), ``answer`` (one answer and the
inbox's filter choices), ``dashboards`` (scores over time with intervals, response rates, breakdowns),
``outcomes`` (loop closure, recovery, what customers bought after answering)."""
