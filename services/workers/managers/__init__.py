"""The managers of the workers service (payloads/workers.md "Managers", SPEC §7): four supervisory
loops — scheduler, autoscaler, reaper, retention — each led by one replica at a time.

- `lease`: the Redis lease with a fencing token that elects a manager's leader;
- `models` / `store`: the managers' stored state and config, schedules and recorded ticks; every
  leader write carries its fencing token and a stale one is refused;
- `config` / `ticks`: validation of manager configs and schedules, tick arithmetic (cron, interval);
- `runner`: the per-manager loop every replica runs (take the lease, run passes while leading);
- `scheduler`, `autoscaler`, `reaper`, `retention`: one pass of each;
- `flows` / `servicer`: the manager.* and schedule.* actions (ManagersService).
"""
