"""Large answers rendered once (gateway/rendered.py): kept by their exact bytes, never stale,
bounded."""

import orjson

from admin.workers.v1 import workers_pb2 as pb
from gateway import catalogue
from gateway.rendered import Rendered

LIST = catalogue.load()["worker.list"]


def listing(n: int, *, status: str = "online", active: int = 0) -> bytes:
    resp = pb.ListWorkersResponse()
    for i in range(n):
        w = resp.workers.add()
        w.hostname = f"celery@host-{i:04d}"
        w.status = status
        w.pool_size = 4
        w.active = active
        w.queues.extend(["default", "bulk"])
    return resp.SerializeToString()


def fresh(raw: bytes) -> dict:
    return LIST.renderer.render(LIST.response_cls.FromString(raw))


def as_json(data) -> dict:
    return orjson.loads(orjson.dumps({"data": data}))["data"]


def test_a_large_answer_is_rendered_once_and_the_same_bytes_get_the_same_json():
    r = Rendered()
    raw = listing(200)
    first = r.data(LIST, raw)
    again = r.data(LIST, bytes(bytearray(raw)))  # equal bytes, another object: as from the wire
    assert (r.misses, r.hits) == (1, 1)
    assert again is first
    assert as_json(again) == fresh(raw)
    assert len(as_json(again)["workers"]) == 200


def test_a_changed_answer_is_rendered_anew():
    r = Rendered()
    r.data(LIST, listing(200))
    changed = listing(200, active=3)  # one field of every worker differs
    assert as_json(r.data(LIST, changed)) == fresh(changed)
    assert {w["active"] for w in as_json(r.data(LIST, changed))["workers"]} == {3}
    assert r.misses == 2


def test_small_answers_are_rendered_every_time_and_not_kept():
    r = Rendered()
    raw = listing(1)
    assert len(raw) < r.min_bytes
    out = r.data(LIST, raw)
    assert out == fresh(raw) and isinstance(out, dict)
    assert len(r) == 0 and r.hits == r.misses == 0


def test_the_store_is_bounded_and_drops_the_oldest_first():
    one = listing(100)
    r = Rendered(max_total_bytes=3 * 2 * len(one))  # room for about three answers and their JSON
    answers = [listing(100, active=i) for i in range(6)]
    for raw in answers:
        r.data(LIST, raw)
    assert r.total_bytes <= r.max_total_bytes
    assert 1 <= len(r) < 6
    r.data(LIST, answers[-1])
    assert r.hits == 1  # the newest is still kept
    r.data(LIST, answers[0])
    assert r.misses == 7  # the oldest was dropped


def test_an_answer_larger_than_one_entry_may_be_is_not_kept():
    r = Rendered(max_bytes=1024)
    raw = listing(200)
    assert as_json(r.data(LIST, raw)) == fresh(raw)
    assert len(r) == 0
