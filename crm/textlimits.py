"""Lengths of free text typed by staff. Notes are stored in unbounded text columns, so the limit is ours: every
form, serializer and service taking a note refuses a longer one (never a silent cut). Summaries and reasons keep
their columns' own limits (200)."""
NOTE_MAX_LENGTH = 4_000
# A policy's list or table edited as JSON (alert holidays for several years are the longest, ~400 a year).
POLICY_JSON_MAX_LENGTH = 10_000
SHORT_TEXT_MAX_LENGTH = 200  # summaries, reasons, version notes: their columns' width


def refuse_longer(**texts_and_limits):
    """Raise ValidationError({field: [message]}) for every text longer than its limit, e.g.
    refuse_longer(note=(note, NOTE_MAX_LENGTH)): the services' own guard for paths that skip a form (the API,
    a CSV, a script). Never cut a text: a silent cut loses what the user typed."""
    from django.core.exceptions import ValidationError
    from django.utils.translation import gettext as _

    errors = {field: [_("At most %(limit)d characters.") % {"limit": limit}]
              for field, (text, limit) in texts_and_limits.items() if len(text or "") > limit}
    if errors:
        raise ValidationError(errors)
