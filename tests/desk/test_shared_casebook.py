"""The Desk and `python3 -m crypto` keep one casebook: what one pinned, the other holds to.

A case pinned by `decrypt` and then sent again by the server with a fabricated report
under the same case id is refused in the Desk, and the other way round; the
organisation key confirmed once in either is not asked for again in the other; reply
numbers used in one are not used again in the other; and a key without a casebook is
offered one, never given one silently.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
from textual.widgets import Static

from tests.desk.conftest import PASSPHRASE, DeskWorld, fixed_bytes
from tests.desk.test_desk_app import SIZE, click, settle, type_text
from tests.desk.test_trust import audit_log
from tests.support.cli_support import REPO_ROOT
from tests.support.export_builder import CaseBuilder

from crypto.casebook import INIT_PURPOSE, casebook_path, open_casebook
from crypto.cli.parser import CASEBOOK_INIT_HELP
from crypto.codename import ReporterKeys
from crypto.desk.app import DeskApp
from crypto.desk.screens import MakeCasebookScreen, QueueScreen, UnlockScreen
from crypto.desk.session import NoCasebookError, OrgConfirmationNeeded, unlock
from crypto.identity import OrgKeys, ReviewerKeys, save_private_key
from crypto.reply import parse_statement
from crypto.replyfile import read_reply_file

DAY = "2026-11-28"


def cli(tmp_path: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    """`python3 -m crypto` as the reviewer runs it, with no terminal (so it can never prompt)."""
    secret = tmp_path / "passphrase"
    secret.write_text(PASSPHRASE + "\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CANDOUR_")}
    env["CANDOUR_PASSPHRASE_FILE"] = str(secret)
    return subprocess.run(
        [sys.executable, "-m", "crypto", *map(str, args)],
        cwd=REPO_ROOT,
        env=env,
        input="",
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


def fabricated(world: DeskWorld, genuine: CaseBuilder) -> CaseBuilder:
    """What a server can build: the same case id, reporter keys of its own, sealed to the real reviewers."""
    server_reporter = ReporterKeys(fixed_bytes("server login"), fixed_bytes("server reply"), fixed_bytes("server sign"))
    return CaseBuilder(
        recipients=[world.me.public, world.colleague.public],
        reporter=server_reporter,
        fields={"category": "bullying", "what": "A fabricated report."},
        case_id=genuine.case_id,
    ).with_report()


def test_a_case_pinned_by_decrypt_is_refused_in_the_desk_when_fabricated_and_the_org_is_not_asked_again(
    desk_world: DeskWorld, org: OrgKeys, tmp_path: Path
) -> None:
    log = audit_log()
    genuine = desk_world.case().with_report()
    first = desk_world.export_v2("first.zip", [genuine], org=org, audit=log)
    decrypted = cli(
        tmp_path, "decrypt", "--key", desk_world.key_path, first, "--out", tmp_path / "cases",
        "--today", DAY, "--org-fingerprint", org.public.fingerprint,
    )  # fmt: skip
    assert decrypted.returncode == 0, decrypted.stderr
    assert f"decrypted case {genuine.case}" in decrypted.stdout

    session = unlock(desk_world.key_path, PASSPHRASE)
    session.import_file(first)  # no OrgConfirmationNeeded: decrypt confirmed the key

    log.append("case_viewed", case_id=None, number=99)
    second = desk_world.export_v2("second.zip", [fabricated(desk_world, genuine)], org=org, audit=log)
    summary = session.import_file(second)
    assert summary.refused == 1
    assert any(f"different report under case {genuine.case}" in w for w in session.warnings), session.warnings
    assert any("nothing replaced" in w for w in session.warnings)
    (case,) = session.queue()  # the earlier genuine copy is kept
    assert case.fields["what"] == genuine.fields["what"]
    session.lock()
    again = unlock(desk_world.key_path, PASSPHRASE)  # and stays refused when the stored exports are read again
    assert [c.fields["what"] for c in again.queue()] == [genuine.fields["what"]]
    pinned = open_casebook(desk_world.key_path, desk_world.me).pinned_reporter(genuine.case)
    assert pinned is not None and pinned.reply_key == desk_world.reporter.reply_public_key


def test_a_case_pinned_in_the_desk_is_refused_by_decrypt_and_reply_numbers_carry_over(
    desk_world: DeskWorld, org: OrgKeys, tmp_path: Path
) -> None:
    genuine = desk_world.case().with_report()
    first = desk_world.export_v2("first.zip", [genuine], org=org, audit=audit_log())
    session = unlock(desk_world.key_path, PASSPHRASE)
    with pytest.raises(OrgConfirmationNeeded) as asked:
        session.import_file(first)
    session.confirm_org(asked.value.signed)  # the on-screen fingerprint confirmation
    session.import_file(first)
    (case,) = session.queue()
    session.write_reply(case, "We are looking into it.", None)
    session.lock()

    second = desk_world.export_v2("second.zip", [fabricated(desk_world, genuine)], org=org, audit=audit_log())
    out = tmp_path / "cases"
    refused = cli(tmp_path, "decrypt", "--key", desk_world.key_path, second, "--out", out, "--today", DAY)
    assert refused.returncode == 0, refused.stderr  # no --org-fingerprint needed: the Desk confirmed it
    assert f"REFUSED case {genuine.case}" in refused.stdout
    assert f"the server sent a different report under case {genuine.case}" in refused.stdout
    assert "fabricated" not in "".join(p.read_text(errors="replace") for p in out.rglob("*") if p.is_file())

    message = tmp_path / "message.txt"
    message.write_text("And here is more.", encoding="utf-8")
    replies = tmp_path / "replies.json"
    reply = cli(
        tmp_path, "reply", "--key", desk_world.key_path, "--bundle", first, "--case", genuine.case,
        "--message-file", message, "-o", replies,
    )  # fmt: skip
    assert reply.returncode == 0, reply.stderr
    # The Desk's reply 1 is not in the export yet; the casebook still knows the number.
    assert parse_statement(read_reply_file(replies)[0].statement).seq == 2
    assert open_casebook(desk_world.key_path, desk_world.me).used_seqs(genuine.case) == {1, 2}


def test_a_key_without_a_casebook_is_offered_one_never_given_one_silently(tmp_path: Path) -> None:
    keys = ReviewerKeys("cat", fixed_bytes("reviewer cat"))
    key_path = tmp_path / "keys" / "cat.key"
    key_path.parent.mkdir()
    save_private_key(keys, key_path, PASSPHRASE, profile="interactive")
    with pytest.raises(NoCasebookError) as missing:
        unlock(key_path, PASSPHRASE, tmp_path / "desk")
    assert missing.value.path == casebook_path(key_path, keys)
    assert not missing.value.path.exists() and not (tmp_path / "desk").exists()
    session = unlock(key_path, PASSPHRASE, tmp_path / "desk", make_casebook=True)
    assert session.book is not None and session.book.path.is_file()
    assert open_casebook(key_path, keys).cases == {}


def test_the_desk_offers_the_casebook_in_the_words_of_casebook_init() -> None:
    assert INIT_PURPOSE == CASEBOOK_INIT_HELP


def test_the_desk_asks_before_it_makes_a_missing_casebook(desk_world: DeskWorld, tmp_path: Path) -> None:
    book = casebook_path(desk_world.key_path, desk_world.me)
    book.unlink()  # a key made before casebooks existed
    app = DeskApp(key_path=desk_world.key_path, open_files=False)

    async def drive() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.click("#passphrase")
            await type_text(pilot, PASSPHRASE)
            await pilot.click("#unlock-button")
            await settle(pilot, lambda: isinstance(app.screen, MakeCasebookScreen), "the casebook offer")
            assert not book.exists()
            assert INIT_PURPOSE in "".join(str(w.render()) for w in app.screen.query(Static))
            await click(app, pilot, "#no-casebook")
            await settle(pilot, lambda: isinstance(app.screen, UnlockScreen), "back to unlock")
            assert not book.exists() and "Not unlocked" in str(app.screen.query_one("#message").render())
            await pilot.click("#passphrase")
            await type_text(pilot, PASSPHRASE)
            await pilot.click("#unlock-button")
            await settle(pilot, lambda: isinstance(app.screen, MakeCasebookScreen), "the casebook offer again")
            await click(app, pilot, "#make-casebook")
            await settle(pilot, lambda: isinstance(app.screen, QueueScreen), "the queue")
            assert book.is_file()

    asyncio.run(drive())
    assert open_casebook(desk_world.key_path, desk_world.me).org is None
