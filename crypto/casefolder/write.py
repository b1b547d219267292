"""Writing case folders durably, in batches, each case whole or not at all."""

import datetime
import os
import re
import shutil
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from ..bundle import Bundle
from ..casebook import Casebook, CaseReplacedError
from ..errors import CandourError
from ..files import TEMP_PREFIX, TEMP_SUFFIX, atomic_write, fsync_directory, fsync_tree
from ..identity import PublicIdentity, ReviewerKeys
from .model import (
    CLOSED_STATUS,
    DIR_MODE,
    CaseResult,
    DecryptSummary,
    ReadSubmission,
    Trust,
    UnreadableCase,
)
from .pages import STYLE_CSS, case_html, index_html
from .read import read_case
from .textfiles import followup_text, replies_text, report_text, timeline_text

# --- writing the folder ------------------------------------------------------------------------

# Cases are staged, made durable and renamed into place this many at a time: one
# file-system flush per batch instead of an fsync per file and folder (which capped
# `decrypt` at ~100 cases/s). A crash at any point still leaves only complete case
# folders under their real names; staging folders keep TEMP_PREFIX names.
CASES_PER_BATCH = 256


def _write_text(path: Path, text: str) -> None:
    with atomic_write(path, overwrite=True) as handle:
        handle.write(text.encode("utf-8"))


def _write_staged(path: Path, text: str) -> None:
    """Write a file inside a staging folder; `_make_durable` flushes it before the folder is published."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(text.encode("utf-8"))


def _write_case_files(case_dir: Path, result: CaseResult) -> None:
    _write_staged(case_dir / "report.txt", report_text(result))
    for followup in result.followups:
        if isinstance(followup, ReadSubmission):
            _write_staged(case_dir / followup.folder / "message.txt", followup_text(result, followup))
    _write_staged(case_dir / "replies.txt", replies_text(result))
    _write_staged(case_dir / "timeline.txt", timeline_text(result))
    _write_staged(case_dir / "case.html", case_html(result))


def _make_durable(folders: Sequence[Path]) -> None:
    """Everything in `folders` on disk before any of them is renamed into place.

    Linux's sync() waits until the data is written, so one call covers the batch;
    elsewhere sync() may return early, so every file and folder is fsynced.
    """
    if not folders:
        return
    if sys.platform.startswith("linux"):
        os.sync()
        return
    for folder in folders:
        fsync_tree(folder)


EARLIER_COPIES = "earlier-copies"


def _publish_directory(staging: Path, final: Path) -> Path | None:
    """Put `staging` at `final`. An earlier folder of the same case is kept, never deleted.

    It moves to `earlier-copies/<case>-<n>/` first (attachments and all), so a newer
    export adds to what the reviewer has and nothing genuine is lost. Returns where the
    earlier copy went. The caller fsyncs `final.parent` afterwards (once per batch).
    """
    kept = None
    if final.exists():
        shelf = final.parent / EARLIER_COPIES
        shelf.mkdir(mode=DIR_MODE, exist_ok=True)
        number = 1
        while (shelf / f"{final.name}-{number}").exists():
            number += 1
        kept = shelf / f"{final.name}-{number}"
        os.rename(final, kept)
    try:
        os.rename(staging, final)
    except BaseException:
        if kept is not None:
            os.rename(kept, final)
        raise
    if kept is not None:
        fsync_directory(kept.parent)
    return kept


def _reviewer_names(bundle: Bundle, reviewer_list: Mapping[bytes, str] | None) -> dict[bytes, str]:
    names = {reviewer.key_id: f"{reviewer.display_name} ({reviewer.identity.name})" for reviewer in bundle.reviewers}
    if reviewer_list:
        names.update(reviewer_list)
    return names


def write_case_folders(
    bundle: Bundle,
    keys: ReviewerKeys,
    out_dir: Path,
    today: datetime.date,
    *,
    known_reviewers: Mapping[bytes, PublicIdentity] | None = None,
    reviewer_names: Mapping[bytes, str] | None = None,
    list_label: str = "the server's reviewer list in the export",
    trust_warning: str | None = None,
    casebook: Casebook | None = None,
) -> DecryptSummary:
    """Decrypt every case of an opened bundle into `out_dir`; see the module docstring.

    `known_reviewers`/`reviewer_names` (from the pinned organisation-signed list) replace
    the bundle's own reviewer list for checking signatures; `trust_warning` is shown on
    every page that shows a verification (the unsigned-list mode). With `casebook`,
    every case's report is checked against (or pinned in) it and a case the server
    replaced is refused (the caller saves the casebook). A case that cannot be read is
    listed with the reason and does not stop the others. Nothing is ever deleted: an
    earlier folder of a case moves to `earlier-copies/`.
    """
    out_dir.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    known = dict(known_reviewers) if known_reviewers is not None else bundle.known_reviewers()
    names = _reviewer_names(bundle, reviewer_names)
    final_status = bundle.workflow.final if bundle.workflow is not None else CLOSED_STATUS
    trust = Trust(known, names, list_label, trust_warning, casebook, final_status)
    written: list[CaseResult] = []
    unreadable: list[UnreadableCase] = []
    cases = list(bundle)
    for first in range(0, len(cases), CASES_PER_BATCH):
        staged: list[tuple[Path, CaseResult]] = []
        try:
            for case in cases[first : first + CASES_PER_BATCH]:
                staging = out_dir / f"{TEMP_PREFIX}case-{case.case}-{os.urandom(4).hex()}{TEMP_SUFFIX}"
                staging.mkdir(mode=DIR_MODE)
                try:
                    result = read_case(bundle, case, keys, staging, trust, today)
                    _write_case_files(staging, result)
                except CandourError as exc:
                    shutil.rmtree(staging, ignore_errors=True)
                    unreadable.append(UnreadableCase(case, str(exc), refused=isinstance(exc, CaseReplacedError)))
                    continue
                except BaseException:
                    shutil.rmtree(staging, ignore_errors=True)
                    raise
                staged.append((staging, result))
            _make_durable([staging for staging, _result in staged])
            for staging, result in staged:
                _publish_directory(staging, out_dir / result.case.case)
                written.append(result)
            fsync_directory(out_dir)
        finally:
            # Staging folders not renamed into place (an error mid-batch) hold plaintext: remove them.
            for staging, _result in staged:
                shutil.rmtree(staging, ignore_errors=True)
    in_bundle = {case.case for case in bundle}
    earlier = sorted(
        p.name
        for p in out_dir.iterdir()
        if p.is_dir() and re.fullmatch(r"[0-9a-f]{32}", p.name) and p.name not in in_bundle
    )
    _write_text(out_dir / "style.css", STYLE_CSS)
    index = out_dir / "index.html"
    _write_text(index, index_html(bundle, written, unreadable, earlier, today, list_label, trust_warning))
    return DecryptSummary(written=tuple(written), unreadable=tuple(unreadable), index_path=index)
