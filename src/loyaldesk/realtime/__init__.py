"""The WebSocket gateway: the chat widget's and the console's live connections.

Every event a client receives has the id of the stored domain event it comes from, so a client that
reconnects says the last id it saw and gets exactly what it missed (replayed from the event log), then
the live stream (fanned out through the broker, so it works across processes with Redis).
"""
