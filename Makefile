# Everything starts from a fresh machine: the targets create .venv as needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test bench lint demo worker api clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

## run: start the API, the projection worker and the reminder worker on the embedded PostgreSQL, with demo data
# `make run` is the demo (demo tokens, demo data) unless WAAKVLAM_DEMO says otherwise.
run: $(STAMP)
	WAAKVLAM_DEMO=$${WAAKVLAM_DEMO:-true} $(BIN)/waakvlam run

## test: pass the tests (embedded PostgreSQL, or DATABASE_URL when set)
test: $(STAMP)
	$(BIN)/pytest -q

## bench: run the benchmarks and print their figures
bench: $(STAMP)
	$(BIN)/python benchmarks/write_path.py
	$(BIN)/python benchmarks/read_path.py
	$(BIN)/python benchmarks/schedule.py
	$(BIN)/python benchmarks/reminders.py
	$(BIN)/python benchmarks/access_log.py
	$(BIN)/python benchmarks/encryption.py

## lint: ruff
lint: $(STAMP)
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) .data .pytest_cache
