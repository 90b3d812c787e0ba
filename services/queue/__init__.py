"""The queue service (SPEC §2, §7): queue definitions, pause state, broker depth and purge.

Layout: `models` (schema `queue`), `service` (domain functions on a session), `broker` (the Redis
lists and Celery consumer broadcasts), `flows` (database, then outbox, then broker/Celery),
`servicer` (gRPC adapter), `server` (wiring), `__main__` (`python -m services.queue`).
"""
