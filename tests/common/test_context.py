from services.common import context


def test_traceparent_valid_is_continued() -> None:
    tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    assert context.parse_traceparent(tp) == "4bf92f3577b34da6a3ce929d0e0e4736"


def test_traceparent_invalid_forms_are_rejected() -> None:
    for bad in (
        None,
        "",
        "garbage",
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
        "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
    ):
        assert context.parse_traceparent(bad) is None, bad


def test_x_trace_id_must_be_32_lower_hex_not_zero() -> None:
    assert context.valid_trace_id("4bf92f3577b34da6a3ce929d0e0e4736")
    assert context.valid_trace_id("4BF92F3577B34DA6A3CE929D0E0E4736") is None
    assert context.valid_trace_id("0" * 32) is None


def test_metadata_round_trip() -> None:
    ctx = context.CallContext(trace_id="4bf92f3577b34da6a3ce929d0e0e4736", actor="alice", roles=("operator",))
    back = context.from_metadata(dict(context.to_metadata(ctx)))
    assert back == ctx


def test_missing_metadata_starts_a_new_trace_as_system() -> None:
    ctx = context.from_metadata({})
    assert len(ctx.trace_id) == 32 and ctx.actor == "system" and ctx.roles == ()
