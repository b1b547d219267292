# Candour: `make run` to try it, `make test` to check it.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
FLASK := $(PY) -m flask --app wsgi
# Re-installs only when a requirements file or pyproject.toml changes.
STAMP := $(VENV)/.requirements-installed

# The instance folder (settings, keys, database); CANDOUR_INSTANCE overrides it.
INSTANCE ?= $(or $(CANDOUR_INSTANCE),instance)
export CANDOUR_INSTANCE := $(abspath $(INSTANCE))
DEMO_DIR := $(CANDOUR_INSTANCE)/demo-reviewer

.PHONY: venv init demo-reviewer demo-org run test lint typecheck bench fuzz messages reviewer-kit

venv: $(STAMP)

.PHONY: help format pre-commit

# `make help` prints the "##" lines below: one per target, kept in alphabetical order.
# Add one when you add a target (tests/architecture/test_packaging.py checks that
# every target has one and no line names a target that does not exist).
##  bench          run every benchmark in bench/ (figures, ratios, goal lines)
##  demo-org       FOR TRYING IT OUT ONLY: a demo organisation key and signed reviewer list
##  demo-reviewer  FOR TRYING IT OUT ONLY: a demo reviewer whose private key is on this server
##  format         rewrite the tree in ruff's format (then review the diff)
##  fuzz           coverage-guided fuzzing of the parsers, FUZZ_SECONDS (120) per harness
##  help           list every target with one line on what it does
##  init           set up the instance folder (database, keys, demo reviewer and organisation)
##  lint           ruff check and ruff format --check over the whole tree
##  messages       extract every translatable string into translations/messages.pot
##  pre-commit     run the pre-commit hooks (ruff check, ruff format, mypy) on every file
##  reviewer-kit   build dist/candour-reviewer-kit-<version>.zip for the offline laptop (docs/reviewer-kit.md)
##  run            serve the portal with gunicorn on BIND (default 127.0.0.1:8000)
##  test           lint, type checks, pytest and the node tests (all run; fails if any failed)
##  typecheck      mypy --strict on portal/ and crypto/
##  venv           make .venv: pinned requirements, then the project itself (editable)
help:
	@sed -n 's/^##  /  /p' $(MAKEFILE_LIST)

# The project is installed editable (pyproject.toml), so portal, crypto and config import
# from anywhere with .venv's python and no module patches sys.path.
$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt -r requirements-dev.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

init: venv
	@if [ -f "$(CANDOUR_INSTANCE)/candour.cfg" ]; then \
	  echo "Instance already set up in $(CANDOUR_INSTANCE)."; \
	else \
	  $(FLASK) init && { $(MAKE) --no-print-directory demo-reviewer || \
	    { echo "The demo reviewer was not created; retry with: make demo-reviewer" >&2; exit 1; }; } && \
	  { $(MAKE) --no-print-directory demo-org || \
	    { echo "The demo organisation key was not created; retry with: make demo-org" >&2; exit 1; }; }; \
	fi

# ======================= FOR TRYING IT OUT ONLY =======================
# Makes a demo reviewer so a fresh install has someone to report to. Its private
# key sits on this server, so anything sealed to it can be read by whoever runs
# the server. A real reviewer generates their key on their own offline machine and
# hands over only the .pub file; remove the demo reviewer before real use:
#   .venv/bin/flask --app wsgi reviewer list ; .venv/bin/flask --app wsgi reviewer remove KEY_ID
# The passphrase is random, handed to keygen in CANDOUR_PASSPHRASE and printed once.
demo-reviewer: venv
	@passphrase="$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(18))')"; \
	CANDOUR_PASSPHRASE="$$passphrase" $(PY) -m crypto keygen --name demo --dir "$(DEMO_DIR)" && \
	$(FLASK) reviewer add "$(DEMO_DIR)/demo.pub" --name "Demo reviewer" \
	  --role "For trying Candour out only" --required && \
	echo && \
	echo "!!!!!!!!!!!!!!!!!!!!!!!! FOR TRYING IT OUT ONLY !!!!!!!!!!!!!!!!!!!!!!!!" && \
	echo "A demo reviewer key was made in $(DEMO_DIR)." && \
	echo "Its passphrase (shown once, not stored anywhere):" && \
	echo && \
	echo "    $$passphrase" && \
	echo && \
	echo "Its private key is on this server: never use it for real reports." && \
	echo "Remove it before real use: .venv/bin/flask --app wsgi reviewer remove <key id>" && \
	echo "!!!!!!!!!!!!!!!!!!!!!!!! FOR TRYING IT OUT ONLY !!!!!!!!!!!!!!!!!!!!!!!!"

# Also FOR TRYING IT OUT ONLY: a demo organisation key signs a reviewer list holding
# the demo reviewer, so reporters' browsers verify the list as on a real install
# (docs/operations.md). Its private key is on this server too; a real organisation
# key stays offline. Re-running it needs a fresh instance (ORG_PUBLIC_KEY is appended).
# Its passphrase is printed once: signing a new list (after adding a reviewer) needs it.
demo-org: venv
	@passphrase="$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(18))')"; \
	CANDOUR_PASSPHRASE="$$passphrase" $(PY) -m crypto org keygen --name "Demo organisation" --dir "$(DEMO_DIR)" && \
	CANDOUR_PASSPHRASE="$$passphrase" $(PY) -m crypto org sign --key "$(DEMO_DIR)/org.key" --serial 1 \
	  --reviewer "$(DEMO_DIR)/demo.pub:Demo reviewer:For trying Candour out only:required" \
	  -o "$(DEMO_DIR)/reviewers.signed.json" && \
	printf "\n# Demo organisation key (make demo-org): FOR TRYING IT OUT ONLY\nORG_PUBLIC_KEY = '%s'\n" \
	  "$$(grep '^candour-org-1:' "$(DEMO_DIR)/org.pub")" >> "$(CANDOUR_INSTANCE)/candour.cfg" && \
	$(FLASK) reviewer load-list "$(DEMO_DIR)/reviewers.signed.json" && \
	echo && \
	echo "!!!!!!!!!!!!!!!!!!!!!!!! FOR TRYING IT OUT ONLY !!!!!!!!!!!!!!!!!!!!!!!!" && \
	echo "A DEMO organisation key was made in $(DEMO_DIR)/org.key and set as ORG_PUBLIC_KEY" && \
	echo "in $(CANDOUR_INSTANCE)/candour.cfg. Reporters are offered only reviewers on the list" && \
	echo "it signed. Its passphrase (shown once, not stored anywhere):" && \
	echo && \
	echo "    $$passphrase" && \
	echo && \
	echo "After adding a reviewer, sign a new list naming everyone (reviewer add prints the" && \
	echo "exact commands) with --key $(DEMO_DIR)/org.key and load it." && \
	echo "Before real use, replace the demo key with your organisation's own, made offline:" && \
	echo "  python3 -m crypto org keygen --name \"Your organisation\" --dir OFFLINE_DIR" && \
	echo "  put its org.pub line in ORG_PUBLIC_KEY in $(CANDOUR_INSTANCE)/candour.cfg," && \
	echo "  sign the list there with --serial 2 (higher than the demo's) and load it:" && \
	echo "  .venv/bin/flask --app wsgi reviewer load-list reviewers.signed.json" && \
	echo "!!!!!!!!!!!!!!!!!!!!!!!! FOR TRYING IT OUT ONLY !!!!!!!!!!!!!!!!!!!!!!!!"

# Where `make run` listens: BIND=host:port (loopback by default; see docs/operations.md
# before exposing it). It says "Candour is running on …" once the portal answers.
BIND ?= 127.0.0.1:8000

run: venv init
	@$(VENV)/bin/gunicorn -c config/gunicorn.conf.py --bind "$(BIND)" wsgi:app & pid=$$!; \
	trap 'kill -TERM $$pid 2>/dev/null; wait $$pid; exit 0' INT TERM; \
	for attempt in $$(seq 1 300); do \
	  if $(PY) -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)' \
	       "http://$(BIND)/" 2>/dev/null; then \
	    echo "Candour is running on http://$(BIND)/ (Ctrl-C stops it)."; \
	    echo "Sign in at http://$(BIND)/review/login; report at http://$(BIND)/"; break; \
	  fi; \
	  kill -0 $$pid 2>/dev/null || break; sleep 0.2; \
	done; \
	wait $$pid

# The whole tree, crypto/ included (pyproject.toml excludes static/, templates/, translations/).
lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: venv
	$(VENV)/bin/ruff format .

# The same checks before each commit: .venv/bin/pre-commit install (hooks in .pre-commit-config.yaml).
pre-commit: venv
	$(VENV)/bin/pre-commit run --all-files

# Strict (pyproject.toml: strict = true) on portal/ and crypto/; tests/ and bench/ are not checked.
typecheck: venv
	$(VENV)/bin/mypy --strict portal crypto

# Lint (formatting included), type checks and tests all run, so a lint failure never
# hides the test results. node --test runs the browser crypto (static/js) against the
# vectors and fixtures.
test: venv
	@status=0; \
	$(MAKE) --no-print-directory lint || status=$$?; \
	$(MAKE) --no-print-directory typecheck || status=$$?; \
	$(PY) -m pytest || status=$$?; \
	node --test tests/js/ || status=$$?; \
	exit $$status

# One script per figure; each prints its figures, the ratio to a baseline measured in
# the same run, the command that reproduces it and "goal met"/"goal missed" (a missed
# goal still exits 0). A script that crashes does not stop the others; `make bench`
# fails at the end if one did. Results: bench/out/*.json; see docs/performance.md.
# Each runs as a module (python -m bench.<name>) so it imports bench.support and tests.support.
bench: venv
	@shopt -s nullglob; scripts=(bench/[a-z]*.py); failed=(); \
	if [ $${#scripts[@]} -eq 0 ]; then echo "No benchmarks in bench/ yet."; exit 0; fi; \
	for script in "$${scripts[@]}"; do module="bench.$$(basename "$$script" .py)"; \
	  echo "== $$module"; $(PY) -m "$$module" || failed+=("$$module"); done; \
	if [ $${#failed[@]} -gt 0 ]; then echo "crashed: $${failed[*]}"; exit 1; fi

# Coverage-guided fuzzing of the parsers (tests/fuzz/atheris_*.py), FUZZ_SECONDS each;
# crashing inputs land in bench/out/fuzz/. The hypothesis fuzzing runs in `make test`.
FUZZ_SECONDS ?= 120
fuzz: venv
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-fuzz.txt
	@for harness in tests/fuzz/atheris_*.py; do module="tests.fuzz.$$(basename "$$harness" .py)"; \
	  echo "== $$module"; $(PY) -m "$$module" -max_total_time=$(FUZZ_SECONDS) || exit 1; \
	done

# Extract every translatable string into translations/messages.pot.
messages: venv
	mkdir -p translations
	$(VENV)/bin/pybabel extract -F babel.cfg -k N_ -k _l -o translations/messages.pot .

# The reviewer kit for the offline laptop (docs/reviewer-kit.md): dist/candour-reviewer-kit-<version>.zip.
# Fetches wheels once into .cache/reviewer-kit-wheels (needs the package registry), then builds offline.
reviewer-kit: venv
	$(PY) -m crypto.kit.build --out dist --cache .cache/reviewer-kit-wheels
