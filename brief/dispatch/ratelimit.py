"""Token buckets per provider account: in-process, or shared through Redis across machines."""

from __future__ import annotations

import logging
import threading
import time

from django.conf import settings

log = logging.getLogger(__name__)

_LOCAL: dict[str, LocalBucket] = {}
_LOCAL_LOCK = threading.Lock()


class LocalBucket:
    """A token bucket shared by the threads of one process."""

    def __init__(self, rate: float, burst: float | None = None):
        self.rate = max(rate, 0.001)
        self.capacity = burst if burst is not None else max(1.0, self.rate)
        self.tokens = self.capacity
        self.updated = time.monotonic()
        self.lock = threading.Lock()

    def reserve(self, n: int) -> float:
        """Take ``n`` tokens (may go negative); returns how long to wait before sending."""
        with self.lock:
            now = time.monotonic()
            self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
            self.updated = now
            self.tokens -= n
            return 0.0 if self.tokens >= 0 else -self.tokens / self.rate


_REDIS_SCRIPT = """
local key = KEYS[1]
local rate = tonumber(ARGV[1]); local capacity = tonumber(ARGV[2])
local n = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local state = redis.call('HMGET', key, 'tokens', 'updated')
local tokens = tonumber(state[1]) or capacity
local updated = tonumber(state[2]) or now
tokens = math.min(capacity, tokens + (now - updated) * rate) - n
redis.call('HSET', key, 'tokens', tokens, 'updated', now)
redis.call('EXPIRE', key, 3600)
if tokens >= 0 then return '0' end
return tostring(-tokens / rate)
"""


class RedisBucket:
    """The same bucket kept in Redis, so workers on several machines share one rate.

    While Redis cannot be reached (restarting, failing over) the process falls back to its own
    in-process bucket of the same rate, so a runner never dies with its chunk claimed; the
    shared bucket is used again as soon as Redis answers."""

    def __init__(self, url: str, key: str, rate: float, burst: float | None = None):
        import redis

        self.client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self.key = f"brief:ratelimit:{key}"
        self.rate = max(rate, 0.001)
        self.capacity = burst if burst is not None else max(1.0, self.rate)
        self.script = self.client.register_script(_REDIS_SCRIPT)
        self.fallback_key = key

    def reserve(self, n: int) -> float:
        import redis

        try:
            # Redis's own clock: the workers' clocks may disagree with each other
            return float(self.script(keys=[self.key], args=[self.rate, self.capacity, n]))
        except redis.RedisError as exc:
            log.warning("rate limit of %s kept in-process: Redis failed (%s)", self.key, exc)
            return _local(self.fallback_key, self.rate).reserve(n)


def bucket_for(account) -> LocalBucket | RedisBucket:
    """The bucket of a provider account, shared through Redis when the broker is Redis."""
    url = getattr(settings, "BRIEF_RATELIMIT_REDIS_URL", "") or ""
    if not url and str(settings.CELERY_BROKER_URL).startswith(("redis://", "rediss://")):
        url = settings.CELERY_BROKER_URL
    if url:
        return RedisBucket(url, account.code, account.rate_per_second)
    return _local(account.code, account.rate_per_second)


def _local(code: str, rate: float) -> LocalBucket:
    """The in-process bucket of an account (made again when its rate changes)."""
    with _LOCAL_LOCK:
        bucket = _LOCAL.get(code)
        if bucket is None or bucket.rate != max(rate, 0.001):
            bucket = _LOCAL[code] = LocalBucket(rate)
        return bucket


def slow_down(bucket, seconds: float = 1.0) -> None:
    """The provider pushed back: take ``seconds`` worth of tokens, so the account's next
    sends (on every worker sharing the bucket) wait that much longer."""
    bucket.reserve(max(1, int(bucket.rate * seconds)))


def throttle(bucket, n: int, *, sleep=time.sleep) -> float:
    """Wait until ``n`` messages may go; returns the time waited."""
    wait = bucket.reserve(n)
    if wait > 0:
        sleep(wait)
    return wait
