# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test bench clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt --config-settings editable_mode=compat -e '.[test]'
	touch $(STAMP)

## run: install, run the whole pipeline offline on the bundled samples, write dist/
run: $(STAMP)
	$(BIN)/datainclusion run

## test: install if needed, run the whole test suite (one worker per core, at most 4)
test: $(STAMP)
	$(BIN)/python -m pytest -q -n auto --maxprocesses 4

## bench: national-scale benchmarks (long; figures go to bench/RESULTS.md)
bench: $(STAMP)
	$(BIN)/python -m bench

## clean: remove generated data, releases and the virtual environment
clean:
	rm -rf $(VENV) data dist .pytest_cache bench/work test-artifacts
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
