#!/bin/bash
# One-off, for merging the branches of issue 10 on top of the new tests/ layout; delete
# it once main's tests run. Run from the checkout root after the merges:
#     bash tests/support/relayout_after_merge.sh
# It moves new flat *_support.py helpers into tests/support/, rewrites their imports
# (and `from conftest import`), makes every test folder a package, and updates the test
# paths the docs and comments cite. It does not move new flat tests/test_*.py files
# (tests/architecture/test_packaging.py lists them; tests/README.md says where each
# group lives), nor remove sys.path lines (the same test lists them), nor fix paths
# that a moved file computes from __file__ (use tests.support.paths.REPO_ROOT).
set -euo pipefail
SUPPORT='browser_support|chromium_support|flood_support|live_support|recording_proxy|reporter_support|workspace_support|cli_support|export_builder|fuzz_support|notify_support'
shopt -s nullglob
for f in tests/*_support.py tests/crypto/*_support.py tests/crypto/export_builder.py; do
  if [ -e "$f" ]; then git mv "$f" tests/support/; fi
done
grep -rlE "^\s*from ($SUPPORT) import" tests bench | xargs -r sed -i -E "s/^(\s*)from ($SUPPORT) import/\1from tests.support.\2 import/" || true
grep -rlE '^\s*from conftest import' tests | grep -v '^tests/desk/' | xargs -r sed -i -E 's/^(\s*)from conftest import/\1from tests.conftest import/' || true
grep -rlE '^\s*from conftest import' tests/desk 2>/dev/null | xargs -r sed -i -E 's/^(\s*)from conftest import/\1from tests.desk.conftest import/' || true
for d in $(find tests bench -name '*.py' -not -path '*/__pycache__/*' -exec dirname {} \; | sort -u); do
  if [ ! -e "$d/__init__.py" ]; then : > "$d/__init__.py"; git add "$d/__init__.py"; fi
done
while read -r old new; do
  grep -rlF --include='*.md' --include='*.py' --include='*.mjs' --include='*.js' "$old" docs tests bench portal crypto static README.md 2>/dev/null \
    | xargs -r sed -i "s#$old\b#$new#g" || true
done <<'MAP'
tests/test_envelope_properties.py tests/crypto/test_envelope_properties.py
tests/test_js_browser.py tests/js/test_js_browser.py
tests/test_js_interop.py tests/js/test_js_interop.py
tests/test_vendored_libsodium.py tests/js/test_vendored_libsodium.py
tests/test_audit_retention.py tests/portal/admin/test_audit_retention.py
tests/test_reviewer_admin.py tests/portal/admin/test_reviewer_admin.py
tests/test_cli.py tests/portal/cli/test_cli.py
tests/test_hostile_input.py tests/portal/intake/test_hostile_input.py
tests/test_interrupted_uploads.py tests/portal/intake/test_interrupted_uploads.py
tests/test_streaming_form.py tests/portal/intake/test_streaming_form.py
tests/test_backup.py tests/portal/ops/test_backup.py
tests/test_crash_safety.py tests/portal/ops/test_crash_safety.py
tests/test_disk_full.py tests/portal/ops/test_disk_full.py
tests/test_logsafety.py tests/portal/ops/test_logsafety.py
tests/test_argon2_budget.py tests/portal/reporter/test_argon2_budget.py
tests/test_browser_sealing.py tests/portal/reporter/test_browser_sealing.py
tests/test_flood_control.py tests/portal/reporter/test_flood_control.py
tests/test_landing.py tests/portal/reporter/test_landing.py
tests/test_reporter.py tests/portal/reporter/test_reporter.py
tests/test_reporter_live.py tests/portal/reporter/test_reporter_live.py
tests/test_blobs.py tests/portal/store/test_blobs.py
tests/test_group_commit.py tests/portal/store/test_group_commit.py
tests/test_store.py tests/portal/store/test_store.py
tests/test_app.py tests/portal/test_app.py
tests/test_accounts.py tests/portal/workspace/test_accounts.py
tests/test_review_loop.py tests/portal/workspace/test_review_loop.py
tests/test_review_queue.py tests/portal/workspace/test_review_queue.py
tests/test_primitive_vectors.py tests/vectors/test_primitive_vectors.py
tests/test_vectors.py tests/vectors/test_vectors.py
tests/browser_support.py tests/support/browser_support.py
tests/chromium_support.py tests/support/chromium_support.py
tests/crypto/cli_support.py tests/support/cli_support.py
tests/crypto/export_builder.py tests/support/export_builder.py
tests/flood_support.py tests/support/flood_support.py
tests/fuzz/fuzz_support.py tests/support/fuzz_support.py
tests/live_support.py tests/support/live_support.py
tests/recording_proxy.py tests/support/recording_proxy.py
tests/reporter_support.py tests/support/reporter_support.py
tests/workspace_support.py tests/support/workspace_support.py
MAP
.venv/bin/ruff check --fix --select I,F401 tests bench > /dev/null || true
.venv/bin/ruff format tests bench > /dev/null
echo "Next: move each flat tests/test_*.py into its group, drop sys.path lines, run tests/architecture."
