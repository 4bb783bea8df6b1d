# Seawall: `make run` scans the bundled demo image; `make test` installs everything and runs the suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: run test install system-deps lint typecheck unit demo-image clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

demo-image: install
	$(BIN)/python scripts/build_demo_image.py build/demo

run: demo-image
	$(BIN)/seawall image --skip-db-update --input build/demo/seawall-demo.oci.tar

system-deps:
	bash scripts/install-system-deps.sh

lint: install
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts

typecheck: install
	$(BIN)/mypy

unit: install
	$(BIN)/pytest -n 2 $(PYTEST_ARGS)

test: system-deps install lint typecheck unit

clean:
	rm -rf build .pytest_cache .mypy_cache .ruff_cache
