"""Bearer-token authentication (SPEC §4 step 2): HS256 with `SWITCHBOARD_JWT_SECRET` or RS256 with
`SWITCHBOARD_JWT_PUBLIC_KEY`; `sub` and `exp` required, clock leeway 60 s, `alg: none` refused."""

from __future__ import annotations

import time
from dataclasses import dataclass

import jwt

from services.common.settings import Settings

LEEWAY_S = 60


@dataclass(frozen=True, slots=True)
class Principal:
    sub: str
    roles: tuple[str, ...]


class AuthError(Exception):
    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


def _key_and_algs(settings: Settings) -> tuple[str, list[str]]:
    # One algorithm per deployment: accepting both would let an HS256 token signed with the public
    # key (which is public) pass as RS256's key — the classic algorithm-confusion attack.
    if settings.jwt_public_key:
        return settings.jwt_public_key, ["RS256"]
    return settings.jwt_secret, ["HS256"]


# Tokens that verified, until they expire: a console sends the same token on every request, and
# signature checking is the costliest thing authentication does (~60 µs). Only successes are kept.
_VERIFIED: dict[tuple[str, str], tuple[Principal, float]] = {}
_VERIFIED_MAX = 4096


def verify_token(settings: Settings, token: str) -> Principal:
    key, algs = _key_and_algs(settings)
    hit = _VERIFIED.get((key, token))
    if hit is not None:
        if time.time() < hit[1]:
            return hit[0]
        del _VERIFIED[(key, token)]
    principal, exp = _verify(token, key, algs)
    if len(_VERIFIED) >= _VERIFIED_MAX:
        _VERIFIED.pop(next(iter(_VERIFIED)))  # the oldest entry
    _VERIFIED[(key, token)] = (principal, exp + LEEWAY_S)
    return principal


def _verify(token: str, key: str, algs: list[str]) -> tuple[Principal, float]:
    try:
        claims = jwt.decode(
            token, key, algorithms=algs, leeway=LEEWAY_S,
            options={"require": ["sub", "exp"], "verify_aud": False},
        )
    except jwt.ExpiredSignatureError:
        raise AuthError("token expired") from None
    except jwt.MissingRequiredClaimError as exc:
        raise AuthError(f"token lacks the {exc.claim!r} claim") from None
    except jwt.InvalidAlgorithmError:
        raise AuthError("token algorithm not accepted") from None
    except jwt.InvalidSignatureError:
        raise AuthError("token signature does not verify") from None
    except jwt.InvalidTokenError:
        raise AuthError("token is malformed") from None
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub:
        raise AuthError("token 'sub' must be a non-empty string")
    roles = claims.get("roles") or []
    if isinstance(roles, str):
        roles = [roles]
    if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
        raise AuthError("token 'roles' must be a list of strings")
    return Principal(sub=sub, roles=tuple(roles)), float(claims["exp"])


def authenticate(settings: Settings, authorization_header: str | None) -> Principal:
    if not authorization_header:
        raise AuthError("missing Authorization header")
    scheme, _, token = authorization_header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthError("Authorization must be 'Bearer <token>'")
    return verify_token(settings, token.strip())


def challenge(token_presented: bool) -> str:
    """`WWW-Authenticate` for a 401: RFC 6750 names the error only when a token was presented."""
    if token_presented:
        return 'Bearer realm="switchboard", error="invalid_token"'
    return 'Bearer realm="switchboard"'


def issue_token(settings: Settings, sub: str, roles: list[str] | tuple[str, ...], ttl_s: int = 3600) -> str:
    now = int(time.time())
    claims = {"sub": sub, "roles": list(roles), "iat": now, "exp": now + ttl_s}
    return jwt.encode(claims, settings.jwt_secret, algorithm="HS256")
