"""The workers service (SPEC §2, §7): Celery job workers ("agents") through Celery remote control.

Layout: `models` (schema `workers`), `registry` (the worker registry fed by Celery's worker
events, and the reaper of silent workers), `control` (remote-control broadcasts with a deadline),
`service` (domain functions on a session), `flows` (actions in order: live ask, broadcast, then the
registry change with its outbox event), `servicer` (gRPC adapter and the SERVICE declaration),
`__main__` (`python -m services.workers`). Managers and schedules live in `managers/`.
"""
