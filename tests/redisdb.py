"""A Redis database of its own for a test run, so runs side by side never share a queue.

RQ's keys have fixed names (rq:queue:default, ...): two runs on one database would take each
other's jobs. A run claims the first free database number from 1 to 15 (0 is left to
development and production) with a key set only if absent, empties the rest of it, and
empties it all again at exit. The claim expires on its own should a run be killed.
"""

import atexit
import os
import uuid

CLAIM_KEY = "partnerspace-test:claimed-by"
CLAIM_SECONDS = 6 * 3600
SERVER = os.environ.get("PARTNERSPACE_TEST_REDIS", "redis://127.0.0.1:6379")

_claimed: str | None = None
_tokens: dict[str, str] = {}


class RedisUnavailable(RuntimeError):
    pass


def claimed_redis_url() -> str:
    """redis://host:port/N, claimed for this process (once) and released at exit."""
    global _claimed
    if _claimed is None:
        _claimed = claim()
    return _claimed


def claim() -> str:
    """redis://host:port/N, a database no one else uses, emptied, released at exit (or by
    `release`)."""
    import redis

    token = f"{os.getpid()}-{uuid.uuid4().hex}"
    for number in range(1, 16):
        url = f"{SERVER}/{number}"
        connection = redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=10)
        try:
            claimed = connection.set(CLAIM_KEY, token, nx=True, ex=CLAIM_SECONDS)
        except redis.exceptions.ConnectionError as error:
            raise RedisUnavailable(f"Redis at {SERVER} is unreachable: {error}") from None
        if not claimed:
            continue
        empty(url)
        atexit.register(_release, url, token)
        _tokens[url] = token
        return url
    raise RedisUnavailable(f"Every Redis database 1-15 at {SERVER} is claimed by another run.")


def empty(url: str) -> None:
    """Delete every key of the claimed database but the claim."""
    import redis

    connection = redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=10)
    for key in connection.scan_iter(count=1000):
        if key != CLAIM_KEY.encode():
            connection.delete(key)


def release(url: str) -> None:
    """Give back a database of `claim`, emptied."""
    if (token := _tokens.pop(url, None)) is not None:
        _release(url, token)


def _release(url: str, token: str) -> None:
    import redis

    connection = redis.Redis.from_url(url, socket_connect_timeout=3)
    try:
        if connection.get(CLAIM_KEY) == token.encode():
            connection.flushdb()
    except redis.exceptions.RedisError:
        pass  # the claim expires on its own
