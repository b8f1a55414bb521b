"""Bookings: sessions with an expert: schedules, session types, slots, bookings and the waitlist. Empty
until its issue fills it."""

__all__: list[str] = []
