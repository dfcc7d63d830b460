"""The shared cache's backends: counters every web process sees, correct under concurrent requests."""
import base64
import logging
import pickle

from django.core.cache.backends.db import DatabaseCache
from django.core.cache.backends.redis import RedisCache
from django.db import connections, router, transaction
from django.utils import timezone
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

SHARED_TABLE = "crm_shared_cache"


class CounterDatabaseCache(DatabaseCache):
    """Django's database cache with an atomic incr that keeps the key's expiry. Django's own incr reads, then
    writes with the default timeout: two processes counting at once lose a count, and a fixed window would
    restart with every count."""

    def incr(self, key, delta=1, version=None):
        key = self.make_and_validate_key(key, version=version)
        db = router.db_for_write(self.cache_model_class)
        connection = connections[db]
        quote = connection.ops.quote_name
        # PostgreSQL locks the row; SQLite's IMMEDIATE transactions (settings) already run one writer at a time
        lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
        now = connection.ops.adapt_datetimefield_value(timezone.now().replace(microsecond=0))
        with transaction.atomic(using=db), connection.cursor() as cursor:
            cursor.execute(f"SELECT {quote('value')} FROM {quote(self._table)} WHERE {quote('cache_key')} = %s "
                           f"AND {quote('expires')} > %s{lock}", [key, now])
            row = cursor.fetchone()
            if row is None:
                raise ValueError(f"Key '{key}' not found")
            value = pickle.loads(base64.b64decode(row[0].encode())) + delta
            cursor.execute(f"UPDATE {quote(self._table)} SET {quote('value')} = %s WHERE {quote('cache_key')} = %s",
                           [base64.b64encode(pickle.dumps(value, self.pickle_protocol)).decode("latin1"), key])
        return value


def _or_database(name):
    def method(self, *args, **kwargs):
        try:
            return getattr(RedisCache, name)(self, *args, **kwargs)
        except RedisError as exc:
            logger.warning("shared cache: Redis unreachable (%s), using the database table", exc)
            return getattr(self.fallback, name)(*args, **kwargs)

    method.__name__ = name
    return method


class FallbackRedisCache(RedisCache):
    """Redis, and the database's table while Redis cannot be reached: logins keep working through a Redis
    outage (pages do too, deploy/README.md). The counters start afresh in the other store, which gives an
    attacker at most one more round of attempts per switch."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self.fallback = CounterDatabaseCache(SHARED_TABLE, {"KEY_PREFIX": params.get("KEY_PREFIX", "")})

    for _name in ("get", "set", "add", "touch", "incr", "delete", "delete_many", "get_many", "has_key", "clear"):
        locals()[_name] = _or_database(_name)
    del _name


def create_shared_table(sender, using="default", verbosity=1, **kwargs):
    """post_migrate: the shared cache's table exists wherever migrations ran (also the fallback of Redis)."""
    from django.core.management.commands.createcachetable import Command

    command = Command()
    command.verbosity = 0
    command.create_table(using, SHARED_TABLE, dry_run=False)
