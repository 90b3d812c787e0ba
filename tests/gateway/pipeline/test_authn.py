"""Step 2: bearer tokens — every refusal is a 401 with WWW-Authenticate: Bearer."""

import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from gateway.auth import AuthError, authenticate, issue_token, verify_token
from gateway.pipeline import authn
from services.common.settings import Settings
from tests.gateway.pipeline.conftest import Terminal, make_call

S = Settings(jwt_secret="unit-test-secret-of-at-least-32-bytes!")


def tok(claims, key="unit-test-secret-of-at-least-32-bytes!", alg="HS256"):
    return jwt.encode(claims, key, algorithm=alg)


def test_valid_token_and_roles():
    p = verify_token(S, issue_token(S, "ann", ["operator"]))
    assert (p.sub, p.roles) == ("ann", ("operator",))
    assert verify_token(S, tok({"sub": "bob", "exp": time.time() + 60})).roles == ()


@pytest.mark.parametrize("token,why", [
    (tok({"sub": "a", "exp": time.time() - 120}), "expired"),
    (tok({"sub": "a", "exp": time.time() + 60}, key="another-key-of-at-least-32-bytes-long"), "signature"),
    (tok({"exp": time.time() + 60}), "'sub'"),
    (tok({"sub": "a"}), "'exp'"),
    (jwt.encode({"sub": "a", "exp": time.time() + 60}, None, algorithm="none"), "algorithm"),
    ("not.a.jwt", "malformed"),
    (tok({"sub": "a", "exp": time.time() + 60, "roles": "admin,x"}) + "x", "signature"),
])
def test_refused_tokens(token, why):
    with pytest.raises(AuthError) as exc:
        verify_token(S, token)
    assert why in exc.value.detail


def test_leeway_accepts_recently_expired():
    assert verify_token(S, tok({"sub": "a", "exp": time.time() - 30})).sub == "a"


def test_header_forms():
    for header in (None, "", "Basic abc", "Bearer", "Bearer  "):
        with pytest.raises(AuthError):
            authenticate(S, header)


def test_rs256_with_public_key_refuses_hs256_signed_with_it():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pub = key.public_key().public_bytes(serialization.Encoding.PEM,
                                        serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    s = Settings(jwt_public_key=pub)
    good = jwt.encode({"sub": "r", "exp": time.time() + 60}, key, algorithm="RS256")
    assert verify_token(s, good).sub == "r"
    with pytest.raises(AuthError):
        verify_token(s, issue_token(Settings(), "r", []))


async def test_step_answers_401_with_challenge():
    term = Terminal()
    step = authn.wrap(term, S)
    reply = await step(make_call({}))
    assert reply.status == 401 and reply.headers["WWW-Authenticate"].startswith("Bearer")
    reply = await step(make_call({"authorization": "Bearer junk"}))
    assert reply.status == 401 and 'error="invalid_token"' in reply.headers["WWW-Authenticate"]
    assert not term.calls
    call = make_call({"authorization": f"Bearer {issue_token(S, 'zed', ['viewer'])}"})
    assert (await step(call)).status == 200 and call.principal.sub == "zed"
