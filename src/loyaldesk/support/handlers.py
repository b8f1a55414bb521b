"""Reactions of the support desk to other events; imports what registers with other domains."""

from loyaldesk.support import api_channel as _api_channel  # noqa: F401  (callbacks: handler, job)
from loyaldesk.support import email_outbox as _email_outbox  # noqa: F401  (replies by email: handler, job)
from loyaldesk.support import goodwill as _goodwill  # noqa: F401  (service recovery handlers)
from loyaldesk.support import privacy as _privacy  # noqa: F401  (export, erasure, timeline)
