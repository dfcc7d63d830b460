"""A channel for the page tests: takes every message and remembers it (the real SMS adapter and its stub gateway
are outreach's tests)."""
SENT = []


class Accepting:
    def send(self, message):
        SENT.append((message.address, message.body))
