# Switchboard — the two commands that matter on a fresh machine are `make run` and `make test`.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install proto run test test-fast bench migrate clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@command -v $(PY) >/dev/null || { echo "need $(PY) on PATH"; exit 1; }
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	# The repo root and proto/ (the import root of the generated admin.* packages) go on sys.path.
	$(BIN)/python -c 'import sysconfig, pathlib; p = pathlib.Path(sysconfig.get_paths()["purelib"]) / "switchboard-paths.pth"; r = pathlib.Path.cwd(); p.write_text(f"{r}\n{r / \"proto\"}\n")'
	touch $(STAMP)

proto: install
	$(BIN)/python -m services.common.codegen

migrate: install
	$(BIN)/switchboard migrate

run: install
	$(BIN)/python -m services.common.devrun

test: install
	$(BIN)/python -m pytest -q -p no:cacheprovider $(PYTEST_ARGS)

bench: install
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache
