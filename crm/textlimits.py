"""Lengths of free text typed by staff. Notes are stored in unbounded text columns, so the limit is ours: every
form, serializer and service taking a note refuses a longer one (never a silent cut). Summaries and reasons keep
their columns' own limits (200)."""
NOTE_MAX_LENGTH = 4_000
# A policy's list or table edited as JSON (alert holidays for several years are the longest, ~400 a year).
POLICY_JSON_MAX_LENGTH = 10_000
