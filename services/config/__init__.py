"""The config service (SPEC §2, §7; payloads/config.md): versioned, schema-validated configuration.

Layout: `models` (schema `config`), `registry` (the registered keys' JSON Schemas, key rules, field
paths), `service` (domain functions on a session), `flows` (database with its outbox event, then
the live hash of services/common/live.py), `servicer` (gRPC adapter and the `SERVICE` declaration),
`__main__` (`python -m services.config`).
"""
