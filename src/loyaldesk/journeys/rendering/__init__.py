"""Messages as their channels send them: ``render_message`` (``message``), the email frame in MJML
(``frame``) and the Markdown bodies (``markdown``)."""

from loyaldesk.journeys.rendering.message import RenderedMessage, render_message

__all__ = ["RenderedMessage", "render_message"]
