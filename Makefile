# Two commands on a fresh machine that has only python3 and make:
#   make run    the main job
#   make test   create the environment, install everything, run ruff and every test
SHELL := /bin/bash
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
export UV_PROJECT_ENVIRONMENT := $(abspath $(VENV))

.PHONY: run test env lint clean bench system-deps

$(UV):
	python3 -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check "uv>=0.5,<1"

env: $(UV)
	$(UV) sync --frozen --quiet

run: env
	$(VENV)/bin/officeflow up

lint: env
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

system-deps:
	bash scripts/system-deps.sh

test: env lint system-deps
	$(VENV)/bin/pytest $(PYTEST_ARGS)

bench: env
	@for b in benchmarks/*.py; do echo "== $$b"; $(VENV)/bin/python $$b || exit 1; done

clean:
	rm -rf $(TOOLS) $(VENV) .officeflow .pytest_cache .ruff_cache
