"""`make bench`: side-by-side benchmarks of Switchboard on this machine (SPEC §11)."""
