"""HTTP a shopper reaches, identified by their store's signature of their customer id (``shopper``):

- ``loyalty``: the member API (``/member-api/v1/{store}/me...``), the member page (``/m/{store}...``) and the
  referral invitation page (``/r/{store}/{code}``).
"""
