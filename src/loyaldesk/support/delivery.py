"""Outbox delivery moved to ``loyaldesk.kernel.delivery`` (account mail uses it too); kept importable here."""

from loyaldesk.kernel.delivery import LEASE, MAX_ATTEMPTS, MAX_BACKOFF, backoff, claim_due, settle

__all__ = ["LEASE", "MAX_ATTEMPTS", "MAX_BACKOFF", "backoff", "claim_due", "settle"]
