"""The booking actions' store (tests/bookings/desk.py) for the calls of expert sessions."""

from tests.bookings.desk import desk  # noqa: F401
