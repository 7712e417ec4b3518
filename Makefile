# flow168 — the two commands: `make run` and `make test`. Both set everything up on a fresh machine.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-fast test-pg lint bench bench-layout test-fault contract e2e-setup clean explore

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/python launcher.py

lint: $(STAMP)
	$(BIN)/ruff check .

# The whole suite: lint, everything on SQLite (two processes, each with its own time-skipping server; the browser
# tests after), the database-facing tests again on PostgreSQL, the contract tests.
test: $(STAMP) e2e-setup
	$(BIN)/ruff check .
	$(BIN)/pytest -q -p no:cacheprovider -n 2 --ignore=tests/e2e
	$(BIN)/pytest -q -p no:cacheprovider tests/e2e
	FLOW168_TEST_DATABASE_URL=$${FLOW168_TEST_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/test} \
		$(BIN)/pytest -q -p no:cacheprovider -m pg
	@if [ -f ../shared/contract/run.sh ]; then CONTRACT_PORT=$${CONTRACT_PORT:-8799} bash ../shared/contract/run.sh .; \
	else echo "../shared/contract not found: contract tests skipped"; fi

# The property tests (rules, fund ledger, calendar, credit codes) with fresh random examples: `make test` walks a
# fixed, repeatable set; run this now and then to look for new counterexamples (a failure prints its reproduction).
explore: $(STAMP)
	HYPOTHESIS_PROFILE=explore $(BIN)/pytest -q -p no:cacheprovider tests/rules

test-fast: $(STAMP)
	$(BIN)/pytest -q -p no:cacheprovider -m "not e2e and not workflow and not fault"

e2e-setup:
	@(command -v soffice >/dev/null 2>&1 && dpkg -s libreoffice-calc-nogui >/dev/null 2>&1) || (apt-get update -qq && apt-get install -y -qq --no-install-recommends libreoffice-writer-nogui libreoffice-calc-nogui fonts-noto-cjk >/dev/null) || echo "LibreOffice unavailable: the PDF layout and export tests will be skipped"
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq chromium fonts-noto-cjk >/dev/null) || echo "chromium unavailable: the browser test will be skipped"

# Issue 2's parts (bare engine, provider admission, inbox), then the voucher rush, the whole voucher lifecycle
# against a bare workflow of the same shape, and the certification life.
# Issue 12: all of it in one command — the bare engine, provider admission and the inbox (SQLite and PostgreSQL),
# the whole voucher lifecycle at 20 in flight against the bare workflow, the rush, the certification life, and
# kill -9 of every worker with 200 cases in flight, and a programme year. BENCH_ARGS= (empty) skips PostgreSQL; RUSH_N sets the rush's N.
BENCH_ARGS ?= --pg
RUSH_N ?= 2000
bench: $(STAMP)
	$(BIN)/python -m bench.run $(BENCH_ARGS)
	$(BIN)/python -m bench.voucher_life -n 40 -c 20 --rounds 3
	$(BIN)/python -m bench.voucher_rush -n $(RUSH_N)
	$(BIN)/python -m bench.fund_year -n $(RUSH_N)
	$(BIN)/python -m bench.certification_life
	$(BIN)/python -m bench.fault -n 200
	$(BIN)/python -m bench.programme_year

# The same voucher lifecycle with the old single-process layout (WORKERS=0) and with worker processes, back to back.
bench-layout: $(STAMP)
	WORKERS=0 $(BIN)/python -m bench.voucher_life -n 40 -c 20
	$(BIN)/python -m bench.voucher_life -n 40 -c 20

# Issue 12's fault tests alone (they also run in `make test`).
test-fault: $(STAMP)
	$(BIN)/pytest -q -p no:cacheprovider -m fault

clean:
	rm -rf var .pytest_cache
