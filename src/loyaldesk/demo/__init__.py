"""The demo store: a catalogue, staff logins and two years of realistic, deterministic order history."""
