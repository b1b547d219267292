"""The Desk's first screens: Unlock, the Queue and Import."""

from pathlib import Path
from typing import TYPE_CHECKING, cast

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Footer, Header, Input, Label, Static

from ..casebook import INIT_PURPOSE
from ..errors import CandourError, WrongPassphraseError
from ..identity import ReviewerKeys
from .keys import MadeKey, default_key_folder, make_key
from .picker import PickPath, shown
from .queue_list import QueueList, Row, header_line
from .session import NoCasebookError, OrgConfirmationNeeded, Session, open_key, start_session

if TYPE_CHECKING:
    from .app import DeskApp


def find_key_file(home: Path) -> Path | None:
    """The reviewer's key, where the guide says to keep it (Persistent on Tails, a keys folder, home)."""
    for folder in (home / "Persistent", home / "Persistent" / "keys", home / "keys", home):
        if folder.is_dir():
            keys = sorted(p for p in folder.glob("*.key") if p.is_file())
            if keys:
                return keys[0]
    return None


class DeskScreen(Screen[None]):
    """A screen that knows the app and its session."""

    @property
    def desk(self) -> "DeskApp":
        return cast("DeskApp", self.app)

    @property
    def session(self) -> Session:
        session = self.desk.session
        if session is None:
            raise CandourError("the Desk is locked")
        return session


class UnlockScreen(DeskScreen):
    BINDINGS = [("ctrl+q", "app.quit", "Quit")]

    def __init__(self, key_path: Path | None) -> None:
        super().__init__()
        self.key_path = key_path or find_key_file(Path.home())

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="unlock", classes="panel"):
            yield Label("Unlock the Candour Desk", classes="title")
            yield Static(
                "Choose your private key file and type its passphrase. Nothing you read here is written to "
                "this computer: it is forgotten when you lock the Desk (Ctrl+L) or leave it alone for 15 minutes."
            )
            yield Static(self._key_text(), id="key-file")
            with Horizontal(classes="buttons"):
                yield Button("Choose key file…", id="choose-key")
                yield Button("Make a new key…", id="make-key")
            yield Input(placeholder="Passphrase", password=True, id="passphrase")
            with Horizontal(classes="buttons"):
                yield Button("Unlock", id="unlock-button", variant="primary")
            yield Static("", id="message", classes="error")
        yield Footer()

    def _key_text(self) -> str:
        return f"Key file: {shown(self.key_path)}" if self.key_path else "Key file: none chosen yet"

    def on_mount(self) -> None:
        self.query_one("#passphrase", Input).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "choose-key":
            start = self.key_path.parent if self.key_path else Path.home()
            self.app.push_screen(PickPath("Choose your key file (.key)", start, suffixes=(".key",)), self._key_chosen)
        elif event.button.id == "make-key":
            self.app.push_screen(MakeKeyScreen(self.desk.kdf_profile), self._key_chosen)
        elif event.button.id == "unlock-button":
            self.try_unlock()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.try_unlock()

    def _key_chosen(self, path: Path | None) -> None:
        if path is not None:
            self.key_path = path
            self.query_one("#key-file", Static).update(self._key_text())

    def try_unlock(self) -> None:
        message = self.query_one("#message", Static)
        field = self.query_one("#passphrase", Input)
        if self.key_path is None:
            message.update("Choose your key file first.")
            return
        try:
            keys = open_key(self.key_path, field.value)
        except WrongPassphraseError:
            message.update("That passphrase does not open this key. Try again.")
            return
        except (CandourError, OSError) as exc:
            message.update(f"The key could not be unlocked: {exc}")
            return
        finally:
            field.value = ""
        self._start(self.key_path, keys, make_casebook=False)

    def _start(self, key_path: Path, keys: ReviewerKeys, *, make_casebook: bool) -> None:
        message = self.query_one("#message", Static)
        try:
            session = start_session(key_path, keys, self.desk.data_dir, make_casebook=make_casebook)
        except NoCasebookError as missing:
            path = missing.path

            def answered(make: bool | None) -> None:
                if make:
                    self._start(key_path, keys, make_casebook=True)
                else:
                    message.update(
                        f"Not unlocked: the Desk needs the casebook {shown(path)}. Restore it from your "
                        "backup of the key folder, or unlock again and make it."
                    )

            self.app.push_screen(MakeCasebookScreen(path), answered)
            return
        except (CandourError, OSError) as exc:
            message.update(f"The key could not be unlocked: {exc}")
            return
        if make_casebook and session.book is not None:
            self.desk.notify(f"casebook {shown(session.book.path)}: created")
        self.desk.unlocked(session)


class QueueScreen(DeskScreen):
    BINDINGS = [("i", "import", "Import"), ("o", "outbox", "Outbox"), ("ctrl+l", "app.lock", "Lock")]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="warnings", classes="warning")
        yield Static("", id="list-mode", classes="note")
        with Horizontal(classes="toolbar"):
            yield Input(placeholder="Search the reports, follow-ups and replies", id="search")
            yield Button("Import exports…", id="import")
            yield Button("Outbox", id="outbox")
            yield Button("Lock", id="lock")
        yield Static(header_line(), id="queue-header", classes="queue-header")
        yield QueueList(id="queue")
        yield Static("", id="count")
        yield Footer()

    def on_mount(self) -> None:
        self.refresh_queue()
        self.query_one("#queue", QueueList).focus()

    def on_screen_resume(self) -> None:
        self.refresh_queue()

    def refresh_queue(self) -> None:
        session = self.desk.session
        if session is None:
            return
        warnings = session.warnings
        self.query_one("#warnings", Static).update("\n".join(f"⚠ {w}" for w in warnings[:5]) if warnings else "")
        self.query_one("#list-mode", Static).update(session.list_mode)
        search = self.query_one("#search", Input).value
        cases = session.queue(search)
        workflow = session.workflow

        def row_for(index: int) -> Row:
            case = cases[index]
            deadline = session.deadline(case)
            new = session.new_followups(case)
            cells = (case.short_id, case.created, workflow.label_of(case.status), deadline.label, case.category,
                     str(new) if new else "")  # fmt: skip
            return cells, deadline.overdue_days > 0

        self.query_one("#queue", QueueList).show([case.case_id for case in cases], row_for)
        total = len(session.cases)
        shown = f"{len(cases):,} of {total:,} cases" if search else f"{total:,} cases"
        self.query_one("#count", Static).update(shown + ("" if total else ": import an export to begin"))

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "search":
            self.refresh_queue()

    def on_queue_list_opened(self, event: QueueList.Opened) -> None:
        from .case_screens import CaseScreen

        self.app.push_screen(CaseScreen(event.case_id))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "import":
            self.action_import()
        elif event.button.id == "outbox":
            self.action_outbox()
        elif event.button.id == "lock":
            self.desk.action_lock()

    def action_import(self) -> None:
        self.app.push_screen(ImportScreen())

    def action_outbox(self) -> None:
        from .case_screens import OutboxScreen

        self.app.push_screen(OutboxScreen())


class ImportScreen(DeskScreen):
    BINDINGS = [("escape", "app.pop_screen", "Back to the queue"), ("ctrl+l", "app.lock", "Lock")]

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(classes="panel"):
            yield Label("Import exports", classes="title")
            yield Static("", id="import-warnings", classes="warning")
            yield Static(
                "Choose an export file (.zip) from the workspace, on your USB stick. You can import several, one "
                "after the other; a newer export adds to the cases you have. The file is kept as it came "
                "(encrypted) in the Desk's folder.",
            )
            with Horizontal(classes="buttons"):
                yield Button("Choose export file…", id="choose-export", variant="primary")
                yield Button("Back to the queue", id="back")
            yield Static("", id="import-result")
            yield Static("", id="import-changes")
        yield Footer()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "choose-export":
            start = self.desk.usb_hint or Path.home()
            self.app.push_screen(PickPath("Choose an export file", start, suffixes=(".zip",)), self.import_path)
        elif event.button.id == "back":
            self.app.pop_screen()

    def import_path(self, path: Path | None) -> None:
        if path is None:
            return
        result = self.query_one("#import-result", Static)
        try:
            summary = self.session.import_file(path)
        except OrgConfirmationNeeded as needed:
            signed = needed.signed

            def confirmed(match: bool | None) -> None:
                if match:
                    self.session.confirm_org(signed)
                    self.import_path(path)
                else:
                    result.update(
                        f"{path.name} was not imported: the organisation key's fingerprint did not match. "
                        "Do not use this export; tell your organisation."
                    )

            self.app.push_screen(ConfirmOrgScreen(signed.organisation, signed.org.fingerprint), confirmed)
            return
        except (CandourError, OSError) as exc:
            result.update(f"{path.name} was not imported: {exc}")
            return
        self.desk.usb_hint = path.parent
        refused = f", {summary.refused} refused (see the warning above)" if summary.refused else ""
        result.update(
            f"{path.name}: {summary.added} new cases, {summary.updated} updated, {summary.unreadable} could not be "
            f"read{refused}."
        )
        warnings = self.session.warnings
        self.query_one("#import-warnings", Static).update("\n".join(f"⚠ {w}" for w in warnings))
        if summary.account_changes:
            lines = "\n".join(f"• {change}" for change in summary.account_changes)
            self.query_one("#import-changes", Static).update(
                "The audit trail records these changes to accounts and reviewers since your last export:\n"
                f"{lines}\nIf you did not expect one of them, tell your organisation before you reply."
            )


class MakeCasebookScreen(ModalScreen[bool]):
    """A key without its casebook: offered, in the words of `casebook init`, never made silently."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path

    def compose(self) -> ComposeResult:
        with Vertical(id="picker"):
            yield Label("This key has no casebook", classes="title")
            yield Static(f"There is no casebook at {shown(self.path)}.")
            yield Static(
                "The casebook is this machine's memory of what it verified: the organisation key you confirmed, "
                "every case's reporter keys and your reply numbers. The Desk and 'python3 -m crypto' share it. "
                f"Make it now? (casebook init: {INIT_PURPOSE}.)"
            )
            yield Static(
                "If you had one and lost it, restore it from your backup of the key folder instead: a new casebook "
                "trusts everything afresh, so you would confirm the organisation's fingerprint again.",
                classes="warning",
            )
            with Horizontal(classes="buttons"):
                yield Button("Make the casebook", id="make-casebook", variant="primary")
                yield Button("Not now", id="no-casebook")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "make-casebook")


class ConfirmOrgScreen(ModalScreen[bool]):
    """First use: the reviewer compares the organisation key's six words with the published ones."""

    def __init__(self, organisation: str, fingerprint: str) -> None:
        super().__init__()
        self.organisation = organisation
        self.fingerprint = fingerprint

    def compose(self) -> ComposeResult:
        with Vertical(id="picker"):
            yield Label("Check your organisation's key (first use only)", classes="title")
            yield Static(
                f"This export's reviewer list is signed by “{self.organisation}” with the key whose fingerprint is:"
            )
            yield Static(self.fingerprint, id="org-fingerprint", classes="fingerprint")
            yield Static(
                "Compare every word with the fingerprint your organisation published (on its intranet, on paper, "
                "or as your colleagues read it out). From now on the Desk only accepts lists signed by this key."
            )
            with Horizontal(classes="buttons"):
                yield Button("The words match", id="match", variant="success")
                yield Button("They do not match", id="differ", variant="error")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "match")


class MakeKeyScreen(ModalScreen[Path | None]):
    """Make the reviewer's key pair: once, on the offline laptop."""

    BINDINGS = [("escape", "cancel", "Cancel")]

    def __init__(self, profile: str) -> None:
        super().__init__()
        self.profile = profile
        self.folder = default_key_folder(Path.home())
        self.made: MadeKey | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="picker"):
            yield Label("Make your key (once)", classes="title")
            yield Static(
                "Your name, and a long passphrase you will remember (several unrelated words). Nobody can recover "
                "it for you: without it your key and your cases cannot be opened."
            )
            yield Input(placeholder="Your name, e.g. Ana Silva", id="name")
            yield Input(placeholder="Passphrase", password=True, id="new-passphrase")
            yield Input(placeholder="The same passphrase again", password=True, id="repeat-passphrase")
            yield Static(f"Folder: {shown(self.folder)}", id="key-folder")
            with Horizontal(classes="buttons"):
                yield Button("Choose folder…", id="choose-folder")
                yield Button("Make the key", id="make", variant="primary")
                yield Button("Cancel", id="cancel")
            yield Static("", id="message", classes="error")
            yield Static("", id="made")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "choose-folder":
            picker = PickPath("Choose the folder for your key", Path.home(), folders_only=True)
            self.app.push_screen(picker, self._folder_chosen)
        elif event.button.id == "make":
            self.make()
        elif event.button.id == "use":
            self.dismiss(self.made.key_path if self.made else None)
        elif event.button.id == "cancel":
            self.dismiss(None)

    def _folder_chosen(self, folder: Path | None) -> None:
        if folder is not None:
            self.folder = folder
            self.query_one("#key-folder", Static).update(f"Folder: {shown(folder)}")

    def make(self) -> None:
        fields = [self.query_one(f"#{name}", Input) for name in ("name", "new-passphrase", "repeat-passphrase")]
        message = self.query_one("#message", Static)
        try:
            self.made = make_key(fields[0].value, self.folder, fields[1].value, fields[2].value, self.profile)
        except (CandourError, OSError) as exc:
            message.update(f"No key was made: {exc}")
            return
        finally:
            fields[1].value = fields[2].value = ""
        identity = self.made.identity
        message.update("")
        self.query_one("#made", Static).update(
            f"Your key is made.\n"
            f"Private key: {shown(self.made.key_path)} (it never leaves this laptop; keep a backup)\n"
            f"Public key: {shown(self.made.pub_path)} (give it to your administrator)\n"
            f"Fingerprint: {identity.fingerprint}   (read it aloud to your administrator)\n"
            f"Key id: {identity.key_id.hex()}"
        )
        self.query_one("#make", Button).disabled = True
        self.mount(Button("Use this key", id="use", variant="success"), after=self.query_one("#made"))

    def action_cancel(self) -> None:
        self.dismiss(None)
