# Candour: `make run` to try it, `make test` to check it.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
FLASK := $(PY) -m flask --app wsgi
# Re-installs only when a requirements file changes.
STAMP := $(VENV)/.requirements-installed

# The instance folder (settings, keys, database); CANDOUR_INSTANCE overrides it.
INSTANCE ?= $(or $(CANDOUR_INSTANCE),instance)
export CANDOUR_INSTANCE := $(abspath $(INSTANCE))
DEMO_DIR := $(CANDOUR_INSTANCE)/demo-reviewer

.PHONY: venv init demo-reviewer demo-org run test lint typecheck bench fuzz messages reviewer-kit

venv: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt -r requirements-dev.txt
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
#   flask --app wsgi reviewer list ; flask --app wsgi reviewer remove KEY_ID
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
	echo "Remove it before real use: flask --app wsgi reviewer remove <key id>" && \
	echo "!!!!!!!!!!!!!!!!!!!!!!!! FOR TRYING IT OUT ONLY !!!!!!!!!!!!!!!!!!!!!!!!"

# Also FOR TRYING IT OUT ONLY: a demo organisation key signs a reviewer list holding
# the demo reviewer, so reporters' browsers verify the list as on a real install
# (docs/operations.md). Its private key is on this server too; a real organisation
# key stays offline. Re-running it needs a fresh instance (ORG_PUBLIC_KEY is appended).
demo-org: venv
	@passphrase="$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(18))')"; \
	CANDOUR_PASSPHRASE="$$passphrase" $(PY) -m crypto org keygen --name "Demo organisation" --dir "$(DEMO_DIR)" && \
	CANDOUR_PASSPHRASE="$$passphrase" $(PY) -m crypto org sign --key "$(DEMO_DIR)/org.key" --serial 1 \
	  --reviewer "$(DEMO_DIR)/demo.pub:Demo reviewer:For trying Candour out only:required" \
	  -o "$(DEMO_DIR)/reviewers.signed.json" && \
	printf "\n# Demo organisation key (make demo-org): FOR TRYING IT OUT ONLY\nORG_PUBLIC_KEY = '%s'\n" \
	  "$$(grep '^candour-org-1:' "$(DEMO_DIR)/org.pub")" >> "$(CANDOUR_INSTANCE)/candour.cfg" && \
	$(FLASK) reviewer load-list "$(DEMO_DIR)/reviewers.signed.json"

run: venv init
	$(VENV)/bin/gunicorn -c config/gunicorn.conf.py wsgi:app

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check portal tests config bench wsgi.py

# Strict (pyproject.toml: strict = true) on portal/ and crypto/; tests/ and bench/ are not checked.
typecheck: venv
	$(VENV)/bin/mypy --strict portal crypto

# Lint, type checks and tests all run, so a lint failure never hides the test results.
# node --test runs the browser crypto (static/js) against the vectors and fixtures.
test: venv
	@status=0; \
	$(VENV)/bin/ruff check . || status=$$?; \
	$(MAKE) --no-print-directory typecheck || status=$$?; \
	$(PY) -m pytest || status=$$?; \
	node --test tests/js/ || status=$$?; \
	exit $$status

# One script per figure; each prints its figures, the ratio to a baseline measured in
# the same run, the command that reproduces it and "goal met"/"goal missed" (a missed
# goal still exits 0). A script that crashes does not stop the others; `make bench`
# fails at the end if one did. Results: bench/out/*.json; see docs/performance.md.
bench: venv
	@shopt -s nullglob; scripts=(bench/*.py); failed=(); \
	if [ $${#scripts[@]} -eq 0 ]; then echo "No benchmarks in bench/ yet."; exit 0; fi; \
	for script in "$${scripts[@]}"; do echo "== $$script"; $(PY) "$$script" || failed+=("$$script"); done; \
	if [ $${#failed[@]} -gt 0 ]; then echo "crashed: $${failed[*]}"; exit 1; fi

# Coverage-guided fuzzing of the parsers (tests/fuzz/atheris_*.py), FUZZ_SECONDS each;
# crashing inputs land in bench/out/fuzz/. The hypothesis fuzzing runs in `make test`.
FUZZ_SECONDS ?= 120
fuzz: venv
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-fuzz.txt
	@for harness in tests/fuzz/atheris_*.py; do \
	  echo "== $$harness"; $(PY) "$$harness" -max_total_time=$(FUZZ_SECONDS) || exit 1; \
	done

# Extract every translatable string into translations/messages.pot.
messages: venv
	mkdir -p translations
	$(VENV)/bin/pybabel extract -F babel.cfg -k N_ -k _l -o translations/messages.pot .

# The reviewer kit for the offline laptop (docs/reviewer-kit.md): dist/candour-reviewer-kit-<version>.zip.
# Fetches wheels once into .cache/reviewer-kit-wheels (needs the package registry), then builds offline.
reviewer-kit: venv
	$(PY) -m crypto.kit.build --out dist --cache .cache/reviewer-kit-wheels
