"""In the CRM only: the message is its own delivery (the recipient reads it on "My messages")."""


class InAppChannel:
    def send(self, message):
        return None
