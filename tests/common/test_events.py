from datetime import UTC, datetime

from services.common.events import decode, encode


def test_envelope_round_trip() -> None:
    row = {
        "event_id": "6f1c1d1e-7d0e-4a53-9a57-5d2b7a3c1f00",
        "type": "job.cancelled",
        "source": "jobs",
        "ts": datetime(2026, 11, 30, 9, 0, tzinfo=UTC),
        "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736",
        "actor": "alice",
        "data": {"job_id": "job_1", "terminated": True},
    }
    fields = encode(row)
    assert all(isinstance(v, str) for v in fields.values())
    env = decode(b"1-0", {k.encode(): v.encode() for k, v in fields.items()})
    assert env == {**row, "id": "1-0", "ts": "2026-11-30T09:00:00Z"}
