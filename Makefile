# Switchboard — the two commands that matter on a fresh machine are `make run` and `make test`.
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install proto run test test-fast bench migrate lint clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -n "$(PY)" || { echo "need python3.11 (or python3 >= 3.11) on PATH"; exit 1; }
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	# The repo root and proto/ (the import root of the generated admin.* packages) go on sys.path.
	$(BIN)/python -c 'import sysconfig, pathlib; r = pathlib.Path.cwd(); (pathlib.Path(sysconfig.get_paths()["purelib"]) / "switchboard-paths.pth").write_text("\n".join([str(r), str(r / "proto"), ""]))'
	bash tools/system-deps.sh
	touch $(STAMP)

proto: install
	$(BIN)/python -m services.common.codegen

migrate: install
	$(BIN)/switchboard migrate

run: install
	$(BIN)/python -m tools.devrun

test: install
	$(BIN)/python -m pytest -q -p no:cacheprovider $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: install
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache
