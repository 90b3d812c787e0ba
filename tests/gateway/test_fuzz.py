"""Fuzzed payloads (SPEC §11: no 5xx from fuzzed payloads).

- The payload parser, for every action in the catalogue: any JSON value under the message's own
  field names (and others) either parses or yields field errors — it never raises.
- Through HTTP, against the real gateway and services: random payloads for every QUERY action
  (safe to execute over and over) are answered below 500, with problem+json on every refusal.
"""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from gateway.catalogue import load
from tests.gateway.conftest import uid

CATALOGUE = load()
QUERIES = sorted(name for name, a in CATALOGUE.items() if not a.is_command)

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=40),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)),
    max_leaves=12,
)


def payloads(action_name: str) -> st.SearchStrategy[dict]:
    fields = [f.name for f in CATALOGUE[action_name].request_cls.DESCRIPTOR.fields] or ["x"]
    keys = st.one_of(st.sampled_from(fields), st.text(max_size=12))
    return st.dictionaries(keys, json_values, max_size=len(fields) + 2)


@hsettings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_parser_never_raises(data) -> None:
    name = data.draw(st.sampled_from(sorted(CATALOGUE)))
    msg, errors = CATALOGUE[name].parser.parse(data.draw(payloads(name)))
    assert isinstance(errors, list)
    for e in errors:
        assert set(e) == {"field", "message"} and isinstance(e["message"], str) and e["message"]
    if not errors:
        msg.SerializeToString()  # a clean parse is a usable request message


@hsettings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fuzzed_queries_through_the_gateway_never_5xx(api, jobs_service, queue_service, data) -> None:
    name = data.draw(st.sampled_from(QUERIES))
    payload = data.draw(payloads(name))
    resp = api.act(name, payload, sub=uid("fuzz"))  # a fresh user: the rate limit never interferes
    assert resp.status_code < 500, (name, payload, resp.text)
    body = resp.json()
    assert body["status" if resp.status_code >= 400 else "success"] in (resp.status_code, True)
    if resp.status_code >= 400:
        assert resp.headers["content-type"].startswith("application/problem+json")
        assert body["action"] == name and body["success"] is False and json.dumps(body["errors"])
