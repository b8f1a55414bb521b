"""The chat widget's HTTP side (its socket is ``realtime.widget_socket``; its script and stylesheet are
``web/static/widget``):

- ``routes``: ``/widget-api/v1/{store}/`` offline messages, messages with files and attachment downloads;
  the rating-link pages ``/csat/{store}/{conversation}/{token}``; the demo shop ``/widget/{store}/demo-shop``.
"""
