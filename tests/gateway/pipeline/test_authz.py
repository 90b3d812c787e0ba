"""Step 4: RBAC — nested roles, default grants from the option's min_role, configurable grants."""

import pytest

from gateway.pipeline import authz
from gateway.rbac import Authorizer, GrantsError, load_grants, role_at_least
from tests.gateway.pipeline.conftest import CATALOGUE, Terminal, make_call

DEFAULTS = {a.permission: a.min_role for a in CATALOGUE.values()}


def test_roles_nest():
    assert role_at_least(["admin"], "viewer") and role_at_least(["operator"], "operator")
    assert not role_at_least(["viewer"], "operator") and not role_at_least([], "viewer")
    assert not role_at_least(["superuser"], "viewer")


@pytest.mark.parametrize("roles,perm,ok", [
    (("viewer",), "job:list", True), (("viewer",), "job:cancel", False),
    (("operator",), "job:cancel", True), (("operator",), "queue:clear", False),
    (("admin",), "queue:clear", True), ((), "job:list", False), (("viewer", "admin"), "audit:verify", True),
    (("admin",), "no:such", False),
])
def test_default_grants(roles, perm, ok):
    assert Authorizer(DEFAULTS, {}).allowed(roles, perm) is ok


def test_configured_grants_override_defaults():
    grants = load_grants('{"job:cancel": ["admin"], "queue:clear": ["operator", "admin"]}')
    a = Authorizer(DEFAULTS, grants)
    assert not a.allowed(("operator",), "job:cancel") and a.allowed(("admin",), "job:cancel")
    assert a.allowed(("operator",), "queue:clear") and not a.allowed(("viewer",), "queue:clear")
    assert load_grants("") == {}


@pytest.mark.parametrize("raw", ["[1]", "{", '{"job:cancel": []}', '{"job:cancel": ["root"]}'])
def test_malformed_grants_fail(raw):
    with pytest.raises(GrantsError):
        load_grants(raw)


async def test_step_403_before_next():
    term = Terminal()
    step = authz.wrap(term, Authorizer(DEFAULTS, {}))
    reply = await step(make_call(action="job.cancel", roles=("viewer",)))
    assert reply.status == 403 and reply.code == "PERMISSION_DENIED" and not term.calls
    assert (await step(make_call(action="job.cancel", roles=("operator",)))).status == 200
