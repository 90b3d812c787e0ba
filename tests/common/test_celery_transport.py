"""The broker transport of every Celery app (services/common/celery.py `RedisTransport`).

kombu 5.7 stopped a worker for good when it lost Redis while holding an unacknowledged message:
Celery collects the connection (the transport forgets its client) and then closes it, and the
channel's close rebuilt a pool from that client to restore the message: `AttributeError`, caught
by nothing, "Unrecoverable error". Here that sequence runs against the real Redis."""

from __future__ import annotations

import secrets

import pytest
from kombu import Exchange, Queue

from services.common.celery import UNACKED_KEY, make_celery


@pytest.fixture
def app(settings):
    return make_celery(settings)


@pytest.fixture
def queue(app, redis_client):
    name = f"transport-{secrets.token_hex(4)}"
    with app.connection_for_write() as conn, conn.Producer() as producer:
        producer.publish({"n": 1}, routing_key=name, declare=[Queue(name, Exchange(name), routing_key=name)])
    yield name
    redis_client.delete(name)


def test_closing_a_collected_connection_restores_its_unacknowledged_message(app, queue, redis_client):
    conn = app.connection_for_read()
    message = conn.default_channel.basic_get(queue, no_ack=False)
    assert message is not None and redis_client.llen(queue) == 0
    tag = message.delivery_tag
    assert redis_client.hexists(UNACKED_KEY, tag)  # taken, not acknowledged: a running job's message
    conn._do_close_transport()  # what Connection.collect() leaves after a lost broker
    conn.close()  # raised AttributeError with kombu's own transport
    assert redis_client.llen(queue) == 1 and not redis_client.hexists(UNACKED_KEY, tag)
