"""Broker messages of jobs, by job id, in Celery's Redis lists (services/common/celery.py).

kombu LPUSHes a message onto the list of its priority step and workers BRPOP, checking the steps'
lists in order: the right end of the first non-empty list is delivered next. A message is a JSON
envelope whose `headers.id` is the Celery task id, which is the job id.

`remove` takes the messages of given jobs out of a queue's lists in one atomic script (the order of
the rest is kept), so a moved, re-prioritised or bulk-cancelled job leaves nothing behind.
"""

from __future__ import annotations

import json
from typing import Any

from services.common.celery import broker_keys

# KEYS: a queue's lists; ARGV: job ids. Returns the ids whose messages were removed.
_REMOVE = """
local want = {}
for i = 1, #ARGV do want[ARGV[i]] = true end
local removed = {}
for _, key in ipairs(KEYS) do
  local items = redis.call('LRANGE', key, 0, -1)
  if #items > 0 then
    local keep = {}
    for _, raw in ipairs(items) do
      local ok, msg = pcall(cjson.decode, raw)
      local id = nil
      if ok and type(msg) == 'table' and type(msg['headers']) == 'table' then id = msg['headers']['id'] end
      if id and want[id] then removed[#removed + 1] = id else keep[#keep + 1] = raw end
    end
    if #keep < #items then
      redis.call('DEL', key)
      for i = 1, #keep, 5000 do
        redis.call('RPUSH', key, unpack(keep, i, math.min(i + 4999, #keep)))
      end
    end
  end
end
return removed
"""

REMOVE_CHUNK = 50_000


async def remove(redis: Any, queue: str, job_ids: list[str]) -> set[str]:
    """Take the messages of `job_ids` out of `queue`'s lists; returns the ids that had one."""
    if not job_ids:
        return set()
    script = redis.register_script(_REMOVE)
    out: set[str] = set()
    for i in range(0, len(job_ids), REMOVE_CHUNK):
        got = await script(keys=broker_keys(queue), args=job_ids[i : i + REMOVE_CHUNK])
        out.update(x.decode() if isinstance(x, bytes) else x for x in got)
    return out


async def peek(redis: Any, queue: str, limit: int) -> list[str]:
    """Job ids of the next `limit` messages in delivery order (nothing consumed)."""
    ids: list[str] = []
    for key in broker_keys(queue):
        if len(ids) >= limit:
            break
        # The right end is delivered first: read from the end, page by page.
        start = -1
        while len(ids) < limit:
            chunk = await redis.lrange(key, start - 99, start)
            if not chunk:
                break
            for raw in reversed(chunk):
                job_id = message_id(raw)
                if job_id:
                    ids.append(job_id)
            if len(chunk) < 100:
                break
            start -= 100
    return ids


def message_id(raw: bytes | str) -> str:
    """The job id of a message in a queue's list ("" if it is not a kombu envelope)."""
    try:
        return str(json.loads(raw)["headers"]["id"])
    except (ValueError, KeyError, TypeError):
        return ""


def unacked_message_id(raw: bytes | str) -> str:
    """The job id of an entry of kombu's `unacked` hash: `[message, exchange, routing_key]`."""
    try:
        return str(json.loads(raw)[0]["headers"]["id"])
    except (ValueError, KeyError, TypeError, IndexError):
        return ""
