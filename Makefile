# The two set-up commands of the README: `make demo` (weekly report on sample_data/) and `make test`.
# Both create .venv with the project installed; nothing else needs to be on the machine but Python ≥ 3.11.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO_HOME ?= out/demo-home

.PHONY: demo test lint bench sample-data clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

demo: $(BIN)/.installed
	rm -rf $(DEMO_HOME) && mkdir -p $(DEMO_HOME)
	printf '[athlete]\ntimezone = "Europe/Berlin"\n' > $(DEMO_HOME)/hiprisk.toml
	HIPRISK_HOME=$(DEMO_HOME) $(BIN)/hiprisk import sample_data/
	HIPRISK_HOME=$(DEMO_HOME) $(BIN)/hiprisk warnings --since 2000-01-01
	HIPRISK_HOME=$(DEMO_HOME) $(BIN)/hiprisk report -o out/report.html
	@echo "open out/report.html"

test: $(BIN)/.installed
	$(BIN)/ruff check hiprisk tests benchmarks sample_data notebooks
	$(BIN)/python -m pytest

lint: $(BIN)/.installed
	$(BIN)/ruff check hiprisk tests benchmarks sample_data notebooks
	$(BIN)/ruff format --check hiprisk tests benchmarks sample_data notebooks

bench: $(BIN)/.installed
	$(BIN)/python benchmarks/run.py

sample-data: $(BIN)/.installed
	$(BIN)/python sample_data/generate.py

clean:
	rm -rf out $(VENV) .pytest_cache
