"""Role-based access control (SPEC §4 step 4): roles nest viewer ⊂ operator ⊂ admin.

By default a permission is granted to the action option's `min_role` and every role above it.
`SWITCHBOARD_RBAC_GRANTS` (JSON `{"permission": ["role", ...]}`) replaces the default grant of the
permissions it names; a listed role grants to the roles above it too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import orjson

ROLES = ("viewer", "operator", "admin")
_RANK = {r: i for i, r in enumerate(ROLES)}


class GrantsError(ValueError):
    """SWITCHBOARD_RBAC_GRANTS is malformed; the message says where."""


def rank(roles: Iterable[str]) -> int:
    """The highest rank among `roles`; -1 when none is a known role."""
    return max((_RANK[r] for r in roles if r in _RANK), default=-1)


def role_at_least(roles: Iterable[str], least: str) -> bool:
    return rank(roles) >= _RANK[least]


def load_grants(raw: str) -> dict[str, str]:
    """permission -> least role granted, from SWITCHBOARD_RBAC_GRANTS (empty when unset)."""
    if not raw.strip():
        return {}
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise GrantsError(f"SWITCHBOARD_RBAC_GRANTS is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise GrantsError("SWITCHBOARD_RBAC_GRANTS must be an object {permission: [roles]}")
    out = {}
    for perm, roles in data.items():
        if not isinstance(roles, list) or not roles or any(r not in _RANK for r in roles):
            raise GrantsError(f"SWITCHBOARD_RBAC_GRANTS[{perm!r}] must be a non-empty list of {ROLES}")
        out[perm] = ROLES[min(_RANK[r] for r in roles)]
    return out


class Authorizer:
    """Resolved once at start-up: permission -> least role rank."""

    def __init__(self, defaults: Mapping[str, str], overrides: Mapping[str, str]) -> None:
        self._least = {p: _RANK[r] for p, r in {**defaults, **overrides}.items()}

    def allowed(self, roles: Iterable[str], permission: str) -> bool:
        least = self._least.get(permission)
        return least is not None and rank(roles) >= least
