"""Who may log in and for how long: login throttling, the client's address, expiring API tokens, the
password-change page."""
