"""Calls: video sessions and co-browsing between an agent or expert and a customer (the signalling; media
goes peer to peer or through a TURN server). Empty until its issue fills it."""

__all__: list[str] = []
