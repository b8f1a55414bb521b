"""The staff console: server-rendered pages for the support team, the loyalty manager and the owner."""
