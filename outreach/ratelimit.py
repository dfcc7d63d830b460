"""A fixed-window limit per channel, counted in the shared cache so every worker draws from the same window."""
import time

from django.core.cache import caches

from . import conf


def acquire(channel, sleep=time.sleep, clock=time.time):
    """Wait until the channel's window has room for one more message; returns the seconds waited."""
    limit = conf.rate_limit(channel)
    if not limit:
        return 0.0
    count, seconds = limit
    cache = caches["shared"]
    waited = 0.0
    while True:
        now = clock()
        window = int(now // seconds)
        key = f"outreach-rate:{channel}:{seconds}:{window}"
        cache.add(key, 0, timeout=seconds * 2)
        try:
            used = cache.incr(key)
        except ValueError:  # expired between add and incr
            continue
        if used <= count:
            return waited
        pause = (window + 1) * seconds - now
        sleep(pause)
        waited += pause
