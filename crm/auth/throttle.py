"""Login throttling, one limiter for the login page and POST /api/auth/token/, counted in the shared cache
(every web process sees the same counts).

Policy (settings LOGIN_*):
- per client address (crm.auth.addresses): after LOGIN_ADDRESS_FAILURES failed attempts the address is
  refused everything, any username, for the rest of its LOGIN_ADDRESS_WINDOW. One machine guessing, or
  spraying one password over many usernames, stops there.
- per username, from any address: after LOGIN_USERNAME_FAILURES failures the username is locked for
  LOGIN_LOCK_SECONDS; each failure after a lock locks it again for twice as long, up to LOGIN_LOCK_MAX_SECONDS.
  A success forgets the failures. While locked no password is checked, the right one included (a lock that
  let the right password through would tell the attacker which guess was right).
Why that is safe: an attacker with many addresses gets LOGIN_USERNAME_FAILURES guesses, then one per lock
(1, 2, 4, 8, 15, 15 … minutes by default: about 100 a day) against passwords of 12+ characters that are not
common ones.
- per known browser: a browser where the user logged in before carries a signed cookie naming that username
  (`device_for`). Its attempts are counted apart from the username's, with the same limits, so an attacker
  who keeps the username locked (one failure per lock) never locks the real user out of their own browsers;
  the cookie cannot be forged (SECRET_KEY) and holds no password. A new browser waits like anyone else.

Each attempt reserves its count before the password is checked, with atomic increments and an atomic
"add" for the lock, so concurrent requests in several processes cannot check more than the limit."""
import hashlib
import secrets
import math
import time
import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches


class Refused(Exception):
    def __init__(self, seconds):
        super().__init__(seconds)
        self.seconds = max(1, math.ceil(seconds))  # the Retry-After: at most this long


@dataclass(frozen=True)
class Attempt:
    address_key: str
    username_key: str
    lock_key: str


def _shared():
    return caches["shared"]


def _digest(text):
    return hashlib.sha256(text.encode()).hexdigest()[:40]


def _username(username):
    """The username as Django's login form reads it (NFKC, as AbstractBaseUser.normalize_username), folded: "ａlice"
    and "ALICE" are the same person's count, not fresh ones."""
    return unicodedata.normalize("NFKC", username).strip().casefold()[:150]


def new_device(username):
    """The value a known-browser cookie carries after `username` logged in there: the username's digest and a
    random id (a browser of its own, with its own counts)."""
    return f"{_digest(_username(username))}:{secrets.token_hex(16)}"


def device_for(username, cookie_value):
    """The known browser `cookie_value` (already signature-checked) names for `username`, or None."""
    if cookie_value and cookie_value.split(":", 1)[0] == _digest(_username(username)):
        return cookie_value
    return None


def _keys(username, address, device=None):
    user = "login:device:" + _digest(device) if device else "login:user:" + _digest(_username(username))
    return Attempt("login:addr:" + _digest(address), user, user + ":lock")


def _count(cache, key, seconds):
    """One more on the counter `key`, which expires `seconds` after its first count; returns the count."""
    cache.add(key, 0, seconds)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, seconds)
        return 1
    if count == 1:
        cache.touch(key, seconds)  # Redis's INCR on a key that expired meanwhile creates it without expiry
    return count


def lock_seconds(failures):
    """How long a username stays locked after its `failures`-th failure (0 below the limit)."""
    beyond = failures - settings.LOGIN_USERNAME_FAILURES
    if beyond < 0:
        return 0
    return min(settings.LOGIN_LOCK_SECONDS * 2 ** min(beyond, 30), settings.LOGIN_LOCK_MAX_SECONDS)


def begin_attempt(username, address, device=None):
    """Reserve one password check for `username` from `address` (counted as a failure unless
    `attempt_succeeded` follows), or raise Refused(seconds to wait). `device`: the user's known browser
    (device_for), whose attempts are counted apart from the username's."""
    cache, attempt = _shared(), _keys(username, address, device)
    if (cache.get(attempt.address_key) or 0) >= settings.LOGIN_ADDRESS_FAILURES:
        raise Refused(settings.LOGIN_ADDRESS_WINDOW)
    locked_until = cache.get(attempt.lock_key)
    if locked_until is not None:
        raise Refused(locked_until - time.time())
    if _count(cache, attempt.address_key, settings.LOGIN_ADDRESS_WINDOW) > settings.LOGIN_ADDRESS_FAILURES:
        raise Refused(settings.LOGIN_ADDRESS_WINDOW)
    seconds = lock_seconds(_count(cache, attempt.username_key, settings.LOGIN_FAILURE_MEMORY))
    # at the limit and beyond, this check may run only if it can take the next lock first: one at a time
    if seconds and not cache.add(attempt.lock_key, time.time() + seconds, seconds):
        raise Refused(seconds)
    return attempt


def attempt_succeeded(attempt):
    """The password was right: the username's failures and lock are forgotten and the address's count is
    given back (only failures count against an address)."""
    cache = _shared()
    cache.delete_many([attempt.username_key, attempt.lock_key])
    try:
        cache.decr(attempt.address_key)
    except ValueError:  # the address's window ended meanwhile
        pass
