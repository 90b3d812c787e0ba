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


def generate(out: Path = PROTO_ROOT, root: Path = PROTO_ROOT) -> None:
    well_known = Path(grpc_tools.__file__).parent / "_proto"
    files = proto_files(root)
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
    generate(Path(sys.argv[1]) if len(sys.argv) > 1 else PROTO_ROOT)
    print(f"generated {len(proto_files())} proto files into {os.path.relpath(PROTO_ROOT)}")
