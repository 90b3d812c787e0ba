"""The Dockerfile, checked as far as a machine without a Docker daemon allows: it parses, it is
multi-stage with a compiler-free, non-root final stage and no HEALTHCHECK, everything it COPYs
exists in the repository and survives .dockerignore, and its install step is the Makefile's."""

from __future__ import annotations

import fnmatch
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from .conftest import REPO

INSTRUCTIONS = {"FROM", "RUN", "CMD", "LABEL", "MAINTAINER", "EXPOSE", "ENV", "ADD", "COPY", "ENTRYPOINT",
                "VOLUME", "USER", "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL"}
COMPILERS = re.compile(r"\b(gcc|g\+\+|clang|build-essential|cc1|make|cmake|python3?-dev|libc6-dev)\b")


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)


def parse(text: str) -> tuple[dict[str, str], list[Stage]]:
    """Logical lines (continuations joined, comments dropped) grouped into stages."""
    lines: list[str] = []
    buf = ""
    for raw in text.splitlines():
        stripped = raw.strip()
        if not buf and (not stripped or stripped.startswith("#")):
            continue
        if buf and stripped.startswith("#"):
            continue  # comment inside a continued instruction
        if stripped.endswith("\\"):
            buf += stripped[:-1] + " "
            continue
        lines.append(buf + stripped)
        buf = ""
    assert not buf, "the Dockerfile ends inside a continued line"
    args: dict[str, str] = {}
    stages: list[Stage] = []
    for line in lines:
        keyword, _, rest = line.partition(" ")
        assert keyword.isupper() and keyword in INSTRUCTIONS, f"not a Dockerfile instruction: {line[:60]!r}"
        rest = rest.strip()
        if keyword == "ARG" and not stages:
            k, _, v = rest.partition("=")
            args[k] = v
        elif keyword == "FROM":
            words = [w for w in rest.split() if not w.startswith("--")]
            base = re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: args[m.group(1) or m.group(2)], words[0])
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
            stages.append(Stage(base, name))
        else:
            assert stages, f"{keyword} before the first FROM"
            stages[-1].instructions.append((keyword, rest))
    return args, stages


@pytest.fixture(scope="module")
def stages() -> list[Stage]:
    return parse((REPO / "Dockerfile").read_text())[1]


def makefile_install_recipe() -> list[str]:
    """The commands of the Makefile's install step ($(STAMP) target), $(BIN)/ stripped."""
    recipe: list[str] = []
    inside = False
    for line in (REPO / "Makefile").read_text().splitlines():
        if line.startswith("$(STAMP):"):
            inside = True
            continue
        if inside:
            if not line.startswith("\t"):
                break
            cmd = line.strip()
            if cmd.startswith("$(BIN)/"):
                recipe.append(cmd.removeprefix("$(BIN)/"))
    assert recipe, "no install recipe found in the Makefile"
    return recipe


def test_parses_multi_stage_with_a_matching_python(stages: list[Stage]) -> None:
    assert len(stages) >= 2, "multi-stage: build and runtime"
    for s in stages:
        assert re.fullmatch(r"python:3\.11-slim(-\w+)?", s.base), s.base
    # The venv is copied between stages: they must share the interpreter (same image).
    assert len({s.base for s in stages}) == 1


def test_final_stage_is_non_root_without_a_compiler_or_healthcheck(stages: list[Stage]) -> None:
    final = stages[-1]
    names = {s.name for s in stages[:-1]}
    assert final.base not in names, "the final stage starts from the base image, not from the build stage"
    users = [rest for kw, rest in final.instructions if kw == "USER"]
    assert users, "the final stage sets USER"
    user = users[-1].split(":")[0]
    assert user not in {"root", "0"}, user
    for kw, rest in final.instructions:
        if kw == "RUN":
            assert not COMPILERS.search(rest), f"compiler tooling in the final stage: {rest}"
        if kw == "COPY" and "--from=" in rest:
            src = re.search(r"--from=(\S+)", rest).group(1)  # type: ignore[union-attr]
            assert src in names, f"COPY --from={src}: not a stage of this Dockerfile"
            assert not COMPILERS.search(rest), rest
    assert all(kw != "HEALTHCHECK" for s in stages for kw, _ in s.instructions), "no HEALTHCHECK: k8s probes"
    assert any(kw in {"CMD", "ENTRYPOINT"} for kw, _ in final.instructions)


def _ignored(path: str, patterns: list[str]) -> bool:
    ignored = False
    for pat in patterns:
        neg = pat.startswith("!")
        pat = pat.lstrip("!").rstrip("/")
        parts = path.split("/")
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        if any(fnmatch.fnmatch(p, pat) for p in prefixes):
            ignored = not neg
    return ignored


def test_copy_sources_exist_and_are_in_the_build_context(stages: list[Stage]) -> None:
    patterns = [ln.strip() for ln in (REPO / ".dockerignore").read_text().splitlines()
                if ln.strip() and not ln.strip().startswith("#")]
    copied = []
    for s in stages:
        for kw, rest in s.instructions:
            if kw in {"COPY", "ADD"} and "--from=" not in rest:
                words = [w for w in shlex.split(rest) if not w.startswith("--")]
                for src in words[:-1]:
                    rel = src.rstrip("/").removeprefix("./")
                    assert (REPO / rel).exists(), f"COPY {src}: not in the repository"
                    assert not _ignored(rel, patterns), f"COPY {src}: excluded by .dockerignore"
                    copied.append(rel)
    # What the install needs: the project file and every package root it finds.
    assert {"pyproject.toml", "gateway", "services", "proto"} <= set(copied)
    assert _ignored(".venv", patterns) and _ignored(".git", patterns), ".dockerignore keeps .venv and .git out"


def test_install_step_is_the_makefiles(stages: list[Stage]) -> None:
    build_runs = " && ".join(rest for s in stages[:-1] for kw, rest in s.instructions if kw == "RUN")
    recipe = makefile_install_recipe()
    pip_installs = [c for c in recipe if c.startswith("pip install")]
    pth = [c for c in recipe if c.startswith("python -c") and ".pth" in c]
    assert pip_installs and pth, recipe
    for cmd in pip_installs:
        # The image installs the project the same way, without the test extra.
        want = cmd.replace("'.[test]'", ".").replace('".[test]"', ".")
        assert want in build_runs, f"the Dockerfile does not run the Makefile's `{cmd}` (expected `{want}`)"
    assert pth[0] in build_runs, "the Dockerfile writes a different .pth than the Makefile"
    # The project is installed from the directory pyproject.toml was copied into, and the final
    # stage runs from that same directory (the .pth points there).
    workdirs = [rest for s in stages[:-1] for kw, rest in s.instructions if kw == "WORKDIR"]
    final_workdir = [rest for kw, rest in stages[-1].instructions if kw == "WORKDIR"]
    assert workdirs and final_workdir and workdirs[-1] == final_workdir[-1]
    assert any(kw == "COPY" and f"--from={stages[0].name} {workdirs[-1]} " in rest + " "
               for kw, rest in stages[-1].instructions), "the final stage copies the installed tree"


def test_parser_rejects_what_docker_would(tmp_path: Path) -> None:
    with pytest.raises(AssertionError, match="not a Dockerfile instruction"):
        parse("FROM python:3.11-slim\nRUNN echo hi\n")
    with pytest.raises(AssertionError, match="before the first FROM"):
        parse("RUN echo hi\nFROM python:3.11-slim\n")

