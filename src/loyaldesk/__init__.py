"""loyaldesk: customer support and customer loyalty as one system, for online stores."""

__version__ = "0.1.0"
