"""SPEC §4 step 2 through real gateways: every bad token is a 401 with `WWW-Authenticate: Bearer`
and an `unauthenticated` audit record — wrong key, `alg: none`, an RS256 token at an HS256
gateway, an HS256 token signed with the RS256 gateway's public key (key confusion), expired and
not yet valid beyond the 60 s leeway, no `sub`, no `exp`. A good token passes each gateway (so
the refusals are the tokens' doing)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Iterator

import httpx
import jwt
import orjson
import psycopg
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from services.common.db import libpq_url
from tests.gateway.conftest import start_gateway

RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
PRIVATE_PEM = RSA_KEY.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
PUBLIC_PEM = RSA_KEY.public_key().public_bytes(serialization.Encoding.PEM,
                                               serialization.PublicFormat.SubjectPublicKeyInfo)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hs256_by_hand(claims: dict, secret: bytes) -> str:
    """PyJWT refuses to use a PEM as an HMAC secret; an attacker does not."""
    signing = _b64(orjson.dumps({"alg": "HS256", "typ": "JWT"})) + "." + _b64(orjson.dumps(claims))
    return signing + "." + _b64(hmac.new(secret, signing.encode(), hashlib.sha256).digest())


def claims(**over) -> dict:
    now = int(time.time())
    c = {"sub": f"tok-{secrets.token_hex(4)}", "roles": ["admin"], "iat": now, "exp": now + 600}
    c.update(over)
    return {k: v for k, v in c.items() if v is not None}


def call(url: str, token: str) -> tuple[httpx.Response, str]:
    trace = secrets.token_hex(16)
    r = httpx.post(f"{url}/api/admin/action", json={"action": "circuit.list", "payload": {}},
                   headers={"Authorization": f"Bearer {token}", "X-Trace-Id": trace}, timeout=10)
    return r, trace


def assert_refused(settings, r: httpx.Response, trace: str) -> None:
    assert r.status_code == 401, r.text
    assert r.headers["www-authenticate"].startswith("Bearer")
    assert r.headers["content-type"] == "application/problem+json" and r.json()["code"] == "UNAUTHENTICATED"
    with psycopg.connect(libpq_url(settings.database_url)) as conn:
        rows = conn.execute("SELECT outcome, actor FROM audit.audit_log WHERE trace_id = %s", (trace,)).fetchall()
    assert rows == [("unauthenticated", "")]


def _hs_cases(secret: str) -> dict[str, str]:
    now = int(time.time())
    return {
        "wrong key": jwt.encode(claims(), "not-the-secret-" + "x" * 32, algorithm="HS256"),
        "alg none": jwt.encode(claims(), None, algorithm="none"),
        "alg none, signature kept": jwt.encode(claims(), None, algorithm="none")
        + jwt.encode(claims(), secret, algorithm="HS256").rsplit(".", 1)[1],
        "RS256 at an HS256 gateway": jwt.encode(claims(), PRIVATE_PEM, algorithm="RS256"),
        "expired beyond leeway": jwt.encode(claims(exp=now - 120), secret, algorithm="HS256"),
        "not yet valid (nbf)": jwt.encode(claims(nbf=now + 300), secret, algorithm="HS256"),
        "no sub": jwt.encode(claims(sub=None), secret, algorithm="HS256"),
        "empty sub": jwt.encode(claims(sub=""), secret, algorithm="HS256"),
        "no exp": jwt.encode(claims(exp=None), secret, algorithm="HS256"),
        "exp not a number": jwt.encode(claims(exp="tomorrow"), secret, algorithm="HS256"),
    }


HS_CASES = list(_hs_cases("names-only-" + "x" * 32))


@pytest.mark.parametrize("case", HS_CASES)
def test_hs256_gateway_refuses(api, settings, case):
    token = _hs_cases(settings.jwt_secret)[case]
    r, trace = call(api.url, token)
    assert_refused(settings, r, trace)


def test_hs256_gateway_accepts_a_good_token(api, settings):
    r, _ = call(api.url, jwt.encode(claims(), settings.jwt_secret, algorithm="HS256"))
    assert r.status_code == 200, r.text


@pytest.fixture(scope="module")
def rs_gateway(settings, logs_dir) -> Iterator[str]:
    comp, url = start_gateway(settings, logs_dir, SWITCHBOARD_JWT_PUBLIC_KEY=PUBLIC_PEM.decode())
    yield url
    comp.stop()


def test_rs256_gateway(rs_gateway, settings):
    r, _ = call(rs_gateway, jwt.encode(claims(), PRIVATE_PEM, algorithm="RS256"))
    assert r.status_code == 200, r.text
    now = int(time.time())
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    for token in (
        hs256_by_hand(claims(), PUBLIC_PEM),  # key confusion: the public key as an HMAC secret
        hs256_by_hand(claims(), PUBLIC_PEM.strip()),
        jwt.encode(claims(), settings.jwt_secret, algorithm="HS256"),  # the HS secret means nothing here
        jwt.encode(claims(), other, algorithm="RS256"),  # another key pair
        jwt.encode(claims(), None, algorithm="none"),
        jwt.encode(claims(exp=now - 120), PRIVATE_PEM, algorithm="RS256"),
        jwt.encode(claims(nbf=now + 300), PRIVATE_PEM, algorithm="RS256"),
        jwt.encode(claims(sub=None), PRIVATE_PEM, algorithm="RS256"),
        jwt.encode(claims(exp=None), PRIVATE_PEM, algorithm="RS256"),
    ):
        r, trace = call(rs_gateway, token)
        assert_refused(settings, r, trace)
