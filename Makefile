# A short menu. Every target sets up what it needs: `make demo` and `make test`
# work on a fresh machine with only Python 3.11 and make.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: help install demo test lint stubs verify release bench clean mutants

help:
	@echo "make demo     grade the bundled example class into reports/demo (sets itself up)"
	@echo "make test     lint, then the whole test suite (sets itself up)"
	@echo "make lint     ruff, then mypy on grader/"
	@echo "make stubs    regenerate exercises/ from solutions/"
	@echo "make verify   reference solutions score 100, stubs 0"
	@echo "make release  write the student bundle to build/student (public checks only)"
	@echo "make bench    time a class of submissions"
	@echo "make mutants  mutation score of the hidden checks, every function (about a minute)"
	@echo "make install  create $(VENV) with the pinned dependencies"

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,similarity,course]'
	@# Bytecode for the grader, checks and solutions now, so that a cold start never
	@# compiles them (where PYTHONDONTWRITEBYTECODE is set it would, every time).
	$(BIN)/python -m compileall -q grader solutions
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python examples/demo.py --out reports/demo

test: lint
	@sh scripts/ensure-chromium.sh
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

stubs: $(STAMP)
	$(BIN)/grader stubs

verify: $(STAMP)
	$(BIN)/grader verify

release: $(STAMP)
	$(BIN)/grader release build/student --force

bench: $(STAMP)
	$(BIN)/python bench/bench_class.py

clean:
	rm -rf $(VENV) reports build dist *.egg-info

mutants: $(STAMP)  ## mutation testing of the hidden checks: the full run
	$(BIN)/grader mutants
