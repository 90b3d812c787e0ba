"""Generated code is committed; regenerating must not change it (STYLE §2)."""

from __future__ import annotations

import filecmp
from pathlib import Path

from services.common.codegen import PROTO_ROOT, generate


def _generated(root: Path) -> set[Path]:
    return {
        p.relative_to(root)
        for p in root.rglob("*")
        if p.is_file() and (p.name.endswith(("_pb2.py", "_pb2.pyi", "_pb2_grpc.py")) or p.name == "__init__.py")
    }


def test_regenerating_changes_nothing(tmp_path: Path) -> None:
    generate(out=tmp_path)
    fresh, committed = _generated(tmp_path), _generated(PROTO_ROOT)
    assert fresh == committed, f"generated files differ: {sorted(map(str, fresh ^ committed))}"
    changed = [str(p) for p in sorted(fresh) if not filecmp.cmp(tmp_path / p, PROTO_ROOT / p, shallow=False)]
    assert not changed, f"run `make proto` and commit: {changed}"
