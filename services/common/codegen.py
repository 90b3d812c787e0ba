"""Generate Python from `proto/` — the one codegen command (`make proto`).

Output sits beside the sources under `proto/`, which is the import root of the generated
`admin.*` packages (protoc emits absolute imports such as `from admin.v1 import action_pb2`).
Generated code is committed; tests/test_codegen.py regenerates into a temp dir and fails on a diff.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import grpc_tools
from grpc_tools import protoc

PROTO_ROOT = Path(__file__).resolve().parents[2] / "proto"


def proto_files(root: Path = PROTO_ROOT) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*.proto"))


def generate(out: Path = PROTO_ROOT, root: Path = PROTO_ROOT, only: list[str] | None = None) -> None:
    """Every proto under `root` into `out`; `only` (paths relative to `root`) limits it to those."""
    well_known = Path(grpc_tools.__file__).parent / "_proto"
    files = only or proto_files(root)
    args = [
        "protoc",
        f"-I{root}",
        f"-I{well_known}",
        f"--python_out={out}",
        f"--pyi_out={out}",
        f"--grpc_python_out={out}",
        *files,
    ]
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed")
    # Packages need __init__.py so setuptools and mypy see them.
    for f in files:
        d = out / Path(f).parent
        while d != out and d.is_relative_to(out):
            (d / "__init__.py").touch()
            d = d.parent


if __name__ == "__main__":
    # `python -m services.common.codegen [admin/x/v1/x.proto …]`: all protos, or just those named.
    named = [str(Path(a).resolve().relative_to(PROTO_ROOT)) if Path(a).exists() else a for a in sys.argv[1:]]
    generate(PROTO_ROOT, only=named or None)
    print(f"generated {len(named or proto_files())} proto files into {os.path.relpath(PROTO_ROOT)}")
