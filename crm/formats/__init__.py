"""Local format overrides (settings.FORMAT_MODULE_PATH): whatever Django's own locale files say, except what is
changed here."""
