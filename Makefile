# infoplane — two commands: `make demo` and `make test`.
PY      ?= python3.11
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
TORCH_PIN := 2.13.0

.PHONY: demo test test-fast test-slow lint bench install clean

$(BIN)/python:
	$(PY) -m venv $(VENV) || python3 -m venv $(VENV)

# torch: prefer the pinned CPU wheel when it lies on local disk (found with --no-index, then
# its small dependencies from the index); otherwise a normal torch install from the index.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	if $(BIN)/python -m pip install --quiet --no-index --no-deps "torch==$(TORCH_PIN)" \
	    >/dev/null 2>&1; then \
	  $(BIN)/python -m pip install --quiet "torch==$(TORCH_PIN)"; \
	else \
	  $(BIN)/python -m pip install --quiet torch; \
	fi
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	MPLBACKEND=Agg $(BIN)/infoplane reproduce --quick --out out/

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy

test: $(STAMP) lint
	MPLBACKEND=Agg $(BIN)/python -m pytest -q

test-fast: $(STAMP) lint
	MPLBACKEND=Agg $(BIN)/python -m pytest -q -m "not slow and not e2e"

test-slow: $(STAMP)
	MPLBACKEND=Agg $(BIN)/python -m pytest -q -m slow

bench: $(STAMP)
	@for f in benchmarks/bench_*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache
