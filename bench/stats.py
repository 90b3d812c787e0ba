"""Percentiles and the result rows the bench prints and writes."""

from __future__ import annotations

from dataclasses import asdict, dataclass


def percentile(sorted_ms: list[float], p: float) -> float:
    if not sorted_ms:
        return float("nan")
    k = min(len(sorted_ms) - 1, max(0, round(p / 100 * (len(sorted_ms) - 1))))
    return sorted_ms[k]


@dataclass
class Row:
    name: str
    path: str
    concurrency: int
    requests: int
    errors: int
    p50_ms: float
    p99_ms: float
    throughput_rps: float

    @classmethod
    def of(cls, name: str, path: str, concurrency: int, latencies_ms: list[float], errors: int, wall_s: float) -> Row:
        lat = sorted(latencies_ms)
        return cls(
            name=name,
            path=path,
            concurrency=concurrency,
            requests=len(lat),
            errors=errors,
            p50_ms=round(percentile(lat, 50), 3),
            p99_ms=round(percentile(lat, 99), 3),
            throughput_rps=round(len(lat) / wall_s, 1) if wall_s > 0 else 0.0,
        )

    def as_dict(self) -> dict:
        return asdict(self)
