"""HTTP for store backends and connected apps: the REST API (``/api/v1``, in the OpenAPI schema), and the
signed webhooks other systems push to.

- ``store``: ``GET /api/v1/store``
- ``customers``: ``/api/v1/customers...``
- ``commerce``: ``/api/v1/orders...``, ``/api/v1/products...``
- ``loyalty``: ``/api/v1/loyalty/`` program, overview, rules, tiers, rewards, members, codes
- ``loyalty_activity``: ``/api/v1/loyalty/`` events, dry runs, referrals
- ``events``: ``GET /api/v1/events``
- ``journeys``: ``/api/v1/journeys...`` rules, their results, dry run, explain, the calendar
- ``shopify_webhooks``: ``POST /webhooks/shopify/{store}``
- ``api_channel``: ``POST /channels/api/{channel_id}/messages``

Routes here are thin: authenticate (``web.deps``), parse, call a domain action or query, shape the answer.
"""
