"""Scrubbing of audit payloads (and config values): secret-like keys at any depth, e-mails, cards."""

import pytest

from gateway.scrub import FILTERED, is_secret_key, mask_text, scrub


@pytest.mark.parametrize("key", ["password", "DB_PASSWD", "client_secret", "refreshToken", "api_key", "ApiKey",
                                 "Authorization", "auth", "oauth_state", "Cookie", "credentials",
                                 "private_key", "session_id", "x-api-key"])
def test_secret_keys(key):
    assert is_secret_key(key)


@pytest.mark.parametrize("key", ["job_id", "queue_name", "message", "reason"])
def test_plain_keys(key):
    assert not is_secret_key(key)


def test_nested_and_lists():
    out = scrub({"a": {"b": [{"password": "x", "keep": 1}], "token": {"nested": "y"}}, "n": None})
    assert out == {"a": {"b": [{"password": FILTERED, "keep": 1}], "token": FILTERED}, "n": None}


def test_emails_and_cards_masked_in_values():
    assert mask_text("mail jane.doe@example.org now") == "mail j***@example.org now"
    assert mask_text("card 4111 1111 1111 1111.") == "card ************1111."
    assert mask_text("4111-1111-1111-1111") == "************1111"
    assert mask_text("order 1234567890123") == "order 1234567890123"  # not Luhn-valid: not a card
    assert scrub({"n": 4111111111111111}) == {"n": "************1111"}
    assert scrub({"n": 1234567890123, "flag": True}) == {"n": 1234567890123, "flag": True}


def test_input_not_mutated():
    data = {"password": "x"}
    scrub(data)
    assert data == {"password": "x"}


def test_deep_nesting_is_truncated_not_fatal():
    deep: dict = {}
    cur = deep
    for _ in range(300):
        cur["a"] = {}
        cur = cur["a"]
    out = scrub(deep)
    depth = 0
    while isinstance(out, dict):
        out, depth = out["a"], depth + 1
    assert out == "[Truncated]" and depth == 32
