"""Large answers rendered once: the JSON of a service's answer, kept by its exact bytes.

Turning a protobuf answer into JSON is a pure function of the answer's bytes, and for a listing it
is the gateway's largest cost per call: 200 workers took 0.5–0.6 ms to parse and render on a quiet
machine, more than the whole pipeline of a small action. A service that keeps its answers
(workers' kept listings, docs/workers.md) sends the same bytes again and again, so the gateway
keeps the rendered JSON of the last large answers and, when the same bytes come back, splices it
into the reply (`orjson.Fragment`) without parsing or rendering anything.

Nothing here can be stale: the key is the answer itself, compared byte for byte. Only answers of
at least `MIN_BYTES` are kept (a small answer renders faster than it hashes), and the whole store
is bounded by `MAX_TOTAL_BYTES` (oldest dropped first).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import orjson

from gateway.catalogue import Action

MIN_BYTES = 2048
MAX_BYTES = 1 << 20  # one answer; larger ones are rendered each time
MAX_TOTAL_BYTES = 16 << 20


class Rendered:
    def __init__(self, *, min_bytes: int = MIN_BYTES, max_bytes: int = MAX_BYTES,
                 max_total_bytes: int = MAX_TOTAL_BYTES) -> None:
        self.min_bytes = min_bytes
        self.max_bytes = max_bytes
        self.max_total_bytes = max_total_bytes
        self._kept: OrderedDict[tuple[str, bytes], orjson.Fragment] = OrderedDict()
        self._sizes: dict[tuple[str, bytes], int] = {}
        self.total_bytes = 0
        self.hits = self.misses = 0

    def data(self, action: Action, raw: bytes) -> dict[str, Any] | orjson.Fragment:
        """The `data` of a reply to `action` whose service answered `raw` (the serialized response
        message): a dict for small answers, the kept JSON for a large one seen before."""
        if not self.min_bytes <= len(raw) <= self.max_bytes:
            return action.renderer.render(action.response_cls.FromString(raw))
        key = (action.name, raw)
        kept = self._kept.get(key)
        if kept is not None:
            self._kept.move_to_end(key)
            self.hits += 1
            return kept
        self.misses += 1
        body = orjson.dumps(action.renderer.render(action.response_cls.FromString(raw)))
        frag = orjson.Fragment(body)
        self._keep(key, frag, len(raw) + len(body))
        return frag

    def _keep(self, key: tuple[str, bytes], frag: orjson.Fragment, size: int) -> None:
        self._kept[key] = frag
        self._sizes[key] = size
        self.total_bytes += size
        while self.total_bytes > self.max_total_bytes and self._kept:
            old, _ = self._kept.popitem(last=False)
            self.total_bytes -= self._sizes.pop(old)

    def __len__(self) -> int:
        return len(self._kept)
