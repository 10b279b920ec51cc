# Everything starts from a fresh machine: the targets create .venv as needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-clocks test-every-clock bench reliability lint demo worker api clean screenshots

$(STAMP): pyproject.toml
	@echo "Setting up $(VENV): Python packages (the first time takes about a minute)"
	@$(PYTHON) -m venv $(VENV)
	@$(BIN)/pip install --quiet --quiet --upgrade pip
	@$(BIN)/pip install --quiet --quiet -e ".[dev]"
	@touch $(STAMP)

# The Node.js tools (package.json, exactly as package-lock.json pins them): Spectral, the OpenAPI linter that
# tests/api/test_openapi.py runs. No install scripts. Order-only, so every target that sets up the venv sets
# these up too, and a new lock file reinstalls only them.
NODE_STAMP := node_modules/.installed
$(NODE_STAMP): package.json package-lock.json
	@echo "Setting up node_modules: the Node.js tools, as package-lock.json pins them"
	@npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	@touch $(NODE_STAMP)
$(STAMP): | $(NODE_STAMP)

# The pages' front-end files (web/, issue 11), copied from node_modules into a git-ignored folder by web/vendor.sh:
# the NL Design System CSS, the voorbeeld tokens (EUPL), the Noto Sans font and htmx. Nothing from a CDN, nothing
# committed.
VENDOR := web/static/vendor
VENDOR_STAMP := $(VENDOR)/.copied
$(VENDOR_STAMP): $(NODE_STAMP) web/vendor.sh
	@sh web/vendor.sh node_modules $(VENDOR)
	@touch $(VENDOR_STAMP)
$(STAMP): | $(VENDOR_STAMP)

# The browser tests (tests/web/) drive Debian's Chromium through Playwright (never `playwright install`).
CHROMIUM := /usr/bin/chromium
$(CHROMIUM):
	@echo "Installing Chromium for the browser tests (apt-get)"
	@apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null

## run: start the API, the projection worker and the reminder worker on the embedded PostgreSQL, with demo data
# `make run` is the demo (demo tokens, demo data) unless WAAKVLAM_DEMO says otherwise.
run: $(STAMP)
	@WAAKVLAM_DEMO=$${WAAKVLAM_DEMO:-true} WAAKVLAM_LOG_LEVEL=$${WAAKVLAM_LOG_LEVEL:-WARNING} $(BIN)/waakvlam run

## test: pass the tests (embedded PostgreSQL, or DATABASE_URL when set)
# The suite in two processes (pytest-xdist, a module to a process); then, one at a time, the tests that start a whole
# service or take a database away (marked `alone`: they measure the service, not the rest of the suite beside it);
# then the date tests at fixed clocks.
test: $(STAMP) | $(CHROMIUM)
	$(BIN)/pytest -q -n 2 --dist loadscope -m "not alone"
	$(BIN)/pytest -q -m alone
	$(MAKE) --no-print-directory test-clocks

# The tests whose answers depend on the date, re-run with the clock fixed where "the UTC date is the
# Dutch date" and "a day has 24 hours" fail (tests/clock.py names the moments; issue 15).
CLOCK_TESTS := tests/domain/test_check_ins.py tests/domain/test_times.py tests/domain/test_schedule_history.py \
	tests/domain/test_reminder_rules.py tests/api/test_schedule.py tests/api/test_calendar.py \
	tests/integration/test_schedule.py tests/integration/test_reminders.py tests/integration/test_retention.py
DATE_TESTS := $(addprefix tests/api/test_,schedule.py calendar.py course.py signals.py notifications.py care.py \
	households.py plan.py authentication.py access_log.py) tests/web/test_pages.py \
	$(addprefix tests/integration/test_,schedule.py reminders.py retention.py accounts.py plan.py timeline.py \
	signal_inbox.py caseload_projection.py)
CLOCKS_IN_MAKE_TEST := after-midnight-summer fall-back new-years-night leap-day
EVERY_CLOCK := late-evening-winter after-midnight-winter after-midnight-summer late-evening-summer spring-forward \
	spring-forward-eve fall-back fall-back-next-evening new-years-eve new-years-night leap-day leap-day-night

## test-clocks: the date tests at a few fixed moments (part of `make test`)
test-clocks: $(STAMP)
	@for moment in $(CLOCKS_IN_MAKE_TEST); do \
		echo "clock fixed at $$moment"; \
		WAAKVLAM_TEST_CLOCK=$$moment $(BIN)/pytest -q -n 2 -p no:cacheprovider $(CLOCK_TESTS) || exit 1; \
	done

## test-every-clock: every test that touches dates, at every named moment (slow: about an hour)
test-every-clock: $(STAMP)
	@failed=""; for moment in $${MOMENTS:-$(EVERY_CLOCK)}; do \
		echo "clock fixed at $$moment"; \
		WAAKVLAM_TEST_CLOCK=$$moment $(BIN)/pytest -q -p no:cacheprovider tests/domain $(DATE_TESTS) \
			|| failed="$$failed $$moment"; \
	done; \
	if [ -n "$$failed" ]; then echo "failed at:$$failed"; exit 1; fi

## reliability: break things on purpose and count what was lost (issue 12 §6; about 25 minutes; ARGS=--quick: 3)
# Crash cycles (SIGKILLs of the API and each worker under load), database restarts, bad input, Schemathesis
# as every demo user, the authorisation matrix; the figures go in BENCHMARKS.md.
reliability: $(STAMP)
	$(BIN)/python -m reliability $(ARGS)

## bench: run the benchmarks and print their figures
bench: $(STAMP)
	$(BIN)/python benchmarks/write_path.py
	$(BIN)/python benchmarks/read_path.py
	$(BIN)/python benchmarks/schedule.py
	$(BIN)/python benchmarks/reminders.py
	$(BIN)/python benchmarks/access_log.py
	$(BIN)/python benchmarks/encryption.py
	$(BIN)/python benchmarks/pages.py
	$(BIN)/python benchmarks/libraries.py
	$(BIN)/python benchmarks/integrity.py

## screenshots: every screen at 360 px and 1280 px, from the browser tests, into screenshots/ (git-ignored)
screenshots: $(STAMP) | $(CHROMIUM)
	@rm -rf screenshots && WAAKVLAM_SCREENS=$(CURDIR)/screenshots $(BIN)/pytest -q -n 2 --dist loadscope tests/web/test_browser*.py
	@echo "Screenshots in screenshots/: $$(ls screenshots | wc -l) files"

## lint: ruff
lint: $(STAMP)
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) .data .pytest_cache node_modules $(VENDOR)
