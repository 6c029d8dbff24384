# Two commands on a fresh machine that has only python3 and make:
#   make run    the main job
#   make test   create the environment, install everything, run ruff and every test
SHELL := /bin/bash
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
export UV_PROJECT_ENVIRONMENT := $(abspath $(VENV))
# The interpreter of .venv: Debian's python3.11 where it exists, built with profile-guided and
# link-time optimisation; a plain source build (pyenv's, say) ran the office year about 20%
# slower and each CLI command 0.1-0.3 s slower (docs/reliability.md). Else python3 on PATH.
PYTHON ?= $(shell if [ -x /usr/bin/python3.11 ]; then echo /usr/bin/python3.11; else command -v python3; fi)

.PHONY: run test test-scale fuzz test-explore env lint clean bench system-deps

$(UV):
	python3 -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check "uv>=0.5,<1"

# Byte-compile at install time: with PYTHONDONTWRITEBYTECODE set (as on some CI machines) every
# process would otherwise compile SQLAlchemy, Prefect and the rest from source on each start
# (an `officeflow calendar` call took 7 s instead of 2.4 s).
env: $(UV)
	$(UV) sync --frozen --quiet --compile-bytecode --python $(PYTHON)
	$(VENV)/bin/python -m compileall -q -j0 officeflow rules models flows tasks deployments tests benchmarks >/dev/null

run: env
	$(VENV)/bin/officeflow up

lint: env
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

system-deps:
	bash scripts/system-deps.sh

# Everything but the scale test, in two pytest-xdist workers (each test file in one worker: its
# servers, PostgreSQL cluster and Prefect test server are the worker's own, on free ports).
test: env lint system-deps
	$(VENV)/bin/pytest -m "not scale" -n 2 --dist loadfile $(PYTEST_ARGS)

# The Hypothesis tests (every test file that imports it) with new random examples: FUZZ_RUNS
# runs (default 5), each with new seeds, stopping at the first failure, which prints the example.
# Add it to its test as an `@example`: `make test` draws the same examples for everyone (the
# profile in tests/conftest.py) and from then on runs that one too. `test-explore`: its old name.
FUZZ_RUNS ?= 5
FUZZ_TESTS = $(shell grep -l '^from hypothesis' tests/test_*.py)
fuzz: env
	@for run in $$(seq $(FUZZ_RUNS)); do echo "== make fuzz: run $$run of $(FUZZ_RUNS)"; \
		HYPOTHESIS_PROFILE=fuzz $(VENV)/bin/pytest -m "not scale" -n 2 --dist loadfile \
			$(FUZZ_TESTS) $(PYTEST_ARGS) || exit 1; done

test-explore: fuzz

# The scale test: Prefect server and ledger on PostgreSQL, two workers, 70 runs at once
# (about 10 minutes on 2 cores). CI runs it after `make test`.
test-scale: env system-deps
	$(VENV)/bin/pytest -m scale $(PYTEST_ARGS)

bench: env
	@for b in benchmarks/*.py; do \
		case $$b in */_*|*/office_plan.py|*/office_oracle.py|*/office_charts.py) continue;; esac; \
		echo "== $$b"; $(VENV)/bin/python $$b || exit 1; done

clean:
	rm -rf $(TOOLS) $(VENV) .officeflow .pytest_cache .ruff_cache
