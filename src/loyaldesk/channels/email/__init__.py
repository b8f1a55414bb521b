"""The email channel's pure core: parse inbound mail, guard against mail loops, thread, compose replies.

No SMTP, IMAP or database here; the transports that use these functions live beside them.
"""
