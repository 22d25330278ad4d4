# Two commands: `make demo` runs the demo, `make test` runs every check. Both set up .venv first.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# mypy's cache outside the work tree: another worktree or a fresh clone (CI runs in one) on the machine
# checks only what differs from the code last checked there (cold, mypy takes about 15 CPU-s). mypy
# compares each file's hash with its cache entry, so a cache written from other code is never trusted.
TOOL_CACHE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/zhili

.PHONY: demo test lint types contracts unit fuzz bench clean

$(STAMP): pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Zhili needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip==25.3
	$(BIN)/python -m pip install --quiet --constraint requirements.lock --editable '.[dev]'
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/zhili demo

test: lint types contracts unit

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

types: $(STAMP)
	MYPY_CACHE_DIR=$(TOOL_CACHE)/mypy $(BIN)/mypy

contracts: $(STAMP)
	$(BIN)/lint-imports

# Bytecode is cached (in git-ignored __pycache__ directories) even where PYTHONDONTWRITEBYTECODE is set:
# otherwise pytest rewrites every test module and each `zhili` subprocess compiles the package, every run.
unit: $(STAMP)
	PYTHONDONTWRITEBYTECODE= $(BIN)/pytest

# The API fuzz at length: 200 examples per operation and login (CI runs a few of each).
fuzz: $(STAMP)
	ZHILI_FUZZ_EXAMPLES=200 $(BIN)/pytest tests/core/test_api_fuzz.py

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_locate.py
	$(BIN)/python benchmarks/bench_demo_world.py
	$(BIN)/python benchmarks/bench_closed_loops.py
	$(BIN)/python benchmarks/bench_intake_http.py
	$(BIN)/python benchmarks/bench_request_path.py
	$(BIN)/python benchmarks/bench_outbox.py
	$(BIN)/python benchmarks/bench_sweeps.py
	$(BIN)/python benchmarks/bench_board.py
	$(BIN)/python benchmarks/bench_timers.py
	$(BIN)/python benchmarks/bench_dispatch.py
	$(BIN)/python benchmarks/bench_scale_out.py
	$(BIN)/python benchmarks/bench_kpis.py

clean:
	rm -rf $(VENV) var
