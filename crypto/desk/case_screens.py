"""The Desk's case screens: one Case, a Reply to it, and the Outbox."""

from pathlib import Path
from typing import Any

from rich.markup import escape
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Checkbox, DataTable, Footer, Header, Input, Label, Select, Static, TextArea

from ..errors import CandourError
from ..reply import StatusChange
from .model import REPORT_FIELDS, Attachment, DeskCase
from .picker import PickPath, shown
from .screens import DeskScreen
from .tempcopies import open_with_system_viewer
from .workflow import allowed

METADATA_WARNING = (
    "A saved copy is readable by anyone who gets this computer or the folder you choose. Files can also carry "
    "hidden details (author, device, place, earlier versions) that may identify the reporter."
)


def human_size(size: int) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:,} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024  # type: ignore[assignment]
    return str(size)


def _verified(text: str, ok: bool) -> str:
    if text.startswith("recorded by the server"):
        return f"[yellow]• {escape(text)}[/]"
    return f"[green]✔ {escape(text)}[/]" if ok else f"[bold red]✘ {escape(text)}[/]"


class CaseScreen(DeskScreen):
    BINDINGS = [("escape", "app.pop_screen", "Back"), ("r", "reply", "Reply"), ("ctrl+l", "app.lock", "Lock")]

    def __init__(self, case_id: str) -> None:
        super().__init__()
        self.case_id = case_id
        self.buttons: dict[str, Attachment] = {}

    @property
    def case(self) -> DeskCase:
        return self.session.cases[self.case_id]

    def compose(self) -> ComposeResult:
        case, session = self.case, self.session
        deadline = session.deadline(case)
        yield Header()
        with VerticalScroll(id="case"):
            yield Label(f"Case {case.short_id}", classes="title")
            shown_deadline = escape(deadline.label)
            if deadline.overdue_days:
                shown_deadline = f"[bold red]{shown_deadline}[/]"
            status = escape(session.workflow.label_of(case.status))
            yield Static(
                f"Received {case.created} · status (as the server says) [b]{status}[/b] · {shown_deadline} · "
                f"case id {case.case_id}"
            )
            for warning in case.warnings:
                yield Static(f"⚠ {escape(warning)}", classes="warning")
            yield Static(escape(case.list_mode), classes="note")
            yield Label("The report (signed by the reporter: verified)", classes="heading")
            for name, label in REPORT_FIELDS:
                if case.fields.get(name):
                    yield Static(f"[b]{label}[/b]\n{escape(case.fields[name])}", classes="field")
            yield from self._attachments(case.attachments, "report")
            yield Label(f"Follow-ups ({len(case.followups)})", classes="heading")
            for number, followup in enumerate(case.followups, start=1):
                if followup.text is None:
                    yield Static(f"{followup.day}: " + _verified(followup.problem or "not readable", False))
                    continue
                yield Static(f"[b]{followup.day}[/b]\n{escape(followup.text)}", classes="field")
                yield from self._attachments(followup.attachments, f"followup{number}")
            yield Label("Timeline", classes="heading")
            for entry in case.timeline:
                what = session.workflow.label_of(entry.status) + (f" ({entry.outcome})" if entry.outcome else "")
                reason = f" — {escape(entry.reason)}" if entry.reason else ""
                yield Static(
                    f"{entry.day}  [b]{escape(what)}[/b]{reason}\n  {_verified(entry.verification, entry.verified)}"
                )
            yield Label(f"Replies ({len(case.replies)})", classes="heading")
            for reply in case.replies:
                head = f"{reply.day or '?'}  reply {reply.seq or '?'} by {escape(reply.signer)}"
                status = f"\n  status: {escape(reply.status)}" if reply.status else ""
                body = f"\n{escape(reply.text)}" if reply.text else ""
                yield Static(f"[b]{head}[/b]\n  {_verified(reply.verification, reply.verified)}{status}{body}")
            with Horizontal(classes="buttons"):
                yield Button("Reply…", id="reply", variant="primary")
                yield Button("Back to the queue", id="back")
            yield Static("", id="message")
        yield Footer()

    def _attachments(self, attachments: tuple[Attachment, ...], prefix: str) -> ComposeResult:
        for number, attachment in enumerate(attachments):
            key = f"{prefix}-{number}"
            self.buttons[key] = attachment
            with Horizontal(classes="attachment"):
                yield Static(
                    f"📎 {escape(attachment.name)} · {human_size(attachment.size)} · {escape(attachment.type)}",
                    classes="attachment-name",
                )
                yield Button("Open", id=f"open-{key}")
                yield Button("Save a copy…", id=f"save-{key}")

    def on_mount(self) -> None:
        self.session.mark_seen(self.case)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        button = event.button.id or ""
        if button == "reply":
            self.action_reply()
        elif button == "back":
            self.app.pop_screen()
        elif button.startswith("open-"):
            self.open_attachment(self.buttons[button.removeprefix("open-")])
        elif button.startswith("save-"):
            attachment = self.buttons[button.removeprefix("save-")]
            picker = PickPath("Choose a folder for the copy", Path.home(), folders_only=True, note=METADATA_WARNING)
            self.app.push_screen(picker, lambda folder: self.save_copy(attachment, folder))

    def open_attachment(self, attachment: Attachment) -> Path | None:
        message = self.query_one("#message", Static)
        try:
            path = self.session.open_attachment(self.case, attachment)
        except (CandourError, OSError) as exc:
            message.update(f"It could not be opened: {escape(str(exc))}")
            return None
        where = "in memory (removed when you lock)" if self.session.temp.in_ram else "in the temporary folder"
        message.update(f"Opened a temporary copy {where}: {escape(str(path))}")
        if self.desk.open_files:
            open_with_system_viewer(path)
        return path

    def save_copy(self, attachment: Attachment, folder: Path | None) -> None:
        if folder is None:
            return
        message = self.query_one("#message", Static)
        try:
            path = self.session.save_attachment_copy(self.case, attachment, folder)
        except (CandourError, OSError) as exc:
            message.update(f"The copy was not saved: {escape(str(exc))}")
            return
        message.update(f"Saved a readable copy: {escape(str(path))}")

    def action_reply(self) -> None:
        self.app.push_screen(ReplyScreen(self.case_id))


class ReplyScreen(DeskScreen):
    BINDINGS = [("escape", "cancel", "Cancel"), ("ctrl+l", "app.lock", "Lock")]

    def __init__(self, case_id: str, redo: dict[str, Any] | None = None) -> None:
        super().__init__()
        self.case_id = case_id
        self.redo = redo  # a sent reply the portal refused, to edit and write again

    def compose(self) -> ComposeResult:
        session = self.session
        case = session.cases[self.case_id]
        draft = dict(self.redo) if self.redo is not None else session.draft(case)
        workflow = session.workflow
        statuses = [(choice.label, choice.name) for choice in allowed(workflow, case.status)]
        outcomes = [(choice.label, choice.name) for choice in workflow.outcomes]
        yield Header()
        with VerticalScroll(classes="panel"):
            yield Label(f"Reply to case {case.short_id}", classes="title")
            yield Static(
                f"The case is {workflow.label_of(case.status)}. The reporter reads your message with their codename; "
                "it is signed with your key and checked here before it goes to the outbox."
            )
            yield Label("Message to the reporter")
            yield TextArea(draft.get("text", ""), id="text")
            yield Label("Change the status (optional)")
            yield Select(statuses, prompt="No status change", id="status", value=draft.get("status") or Select.NULL)
            yield Label("Outcome (needed when closing)")
            yield Select(outcomes, prompt="No outcome", id="outcome", value=draft.get("outcome") or Select.NULL)
            yield Label("Reason for the status change (the reporter reads it)")
            yield Input(draft.get("reason", ""), id="reason")
            yield Checkbox(
                "This reply is the feedback on the report (it meets the feedback deadline; an acknowledgement does "
                "not)",
                value=bool(draft.get("feedback")),
                id="feedback",
            )
            with Horizontal(classes="buttons"):
                yield Button("Check and add to the outbox", id="send", variant="primary")
                yield Button("Save draft", id="draft")
                yield Button("Cancel", id="cancel")
            yield Static("", id="message", classes="error")
        yield Footer()

    def _values(self) -> dict[str, str]:
        status = self.query_one("#status", Select).value
        outcome = self.query_one("#outcome", Select).value
        return {
            "text": self.query_one("#text", TextArea).text,
            "status": status if isinstance(status, str) else "",
            "outcome": outcome if isinstance(outcome, str) else "",
            "reason": self.query_one("#reason", Input).value,
        }

    def _feedback(self) -> bool:
        return self.query_one("#feedback", Checkbox).value

    def _draft(self) -> dict[str, object]:
        return {**self._values(), "feedback": self._feedback()}

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "send":
            self.send()
        elif event.button.id == "draft":
            self.session.save_draft(self.session.cases[self.case_id], self._draft())
            self.query_one("#message", Static).update("Draft saved (encrypted).")
        elif event.button.id == "cancel":
            self.action_cancel()

    def send(self) -> None:
        values = self._values()
        message = self.query_one("#message", Static)
        if not values["text"].strip():
            message.update("Write a message to the reporter first.")
            return
        status = None
        if values["status"]:
            status = StatusChange(values["status"], values["outcome"] or None, values["reason"].strip())
        elif values["outcome"] or values["reason"].strip():
            message.update("An outcome and a reason go with a status change: choose the status too.")
            return
        try:
            reply_case = self.session.cases[self.case_id]
            replaces = self.redo.get("replaces") if self.redo else None
            self.session.write_reply(
                reply_case,
                values["text"].rstrip("\n"),
                status,
                feedback=self._feedback(),
                replaces=replaces if isinstance(replaces, int) else None,
            )
        except (CandourError, LookupError) as exc:
            message.update(f"Not added: {escape(str(exc))}")
            return
        self.app.pop_screen()
        if not isinstance(self.app.screen, OutboxScreen):  # from a case: show the outbox; from it: back to it
            self.app.push_screen(OutboxScreen())

    def action_cancel(self) -> None:
        self.session.save_draft(self.session.cases[self.case_id], self._draft())
        self.app.pop_screen()


class OutboxScreen(DeskScreen):
    BINDINGS = [("escape", "app.pop_screen", "Back"), ("ctrl+l", "app.lock", "Lock")]

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(classes="panel"):
            yield Label("Outbox", classes="title")
            yield Static(
                "Replies you wrote. “Save reply file” puts every pending reply into one file in the folder you "
                "choose (your USB stick); upload it in the workspace. A reply stays “sent” until a later export "
                "shows the portal accepted it. If the portal refused one, select it and choose “Edit and write "
                "again”: it gets the next number, which the portal accepts."
            )
            yield DataTable(id="outbox-table", cursor_type="row")
            with Horizontal(classes="buttons"):
                yield Button("Save reply file…", id="save", variant="primary")
                yield Button("Edit and write again", id="redo")
                yield Button("Back", id="back")
            yield Static("", id="message")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#outbox-table", DataTable)
        table.add_columns("Case", "Reply", "Written", "Status change", "State")
        self.refresh_table()

    def refresh_table(self) -> None:
        table = self.query_one("#outbox-table", DataTable)
        table.clear()
        for entry in self.session.outbox():
            table.add_row(entry["case"][:8], str(entry["seq"]), entry["day"], entry["status"] or "", entry["state"])

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save":
            start = self.desk.usb_hint or Path.home()
            self.app.push_screen(PickPath("Choose the folder for the reply file", start, folders_only=True), self.save)
        elif event.button.id == "redo":
            self.redo()
        elif event.button.id == "back":
            self.app.pop_screen()

    def redo(self) -> None:
        table = self.query_one("#outbox-table", DataTable)
        message = self.query_one("#message", Static)
        position = table.cursor_row
        entries = self.session.outbox()
        if not 0 <= position < len(entries):
            message.update("Select a sent reply first.")
            return
        try:
            draft = self.session.redo_draft(position)
        except (CandourError, OSError) as exc:
            message.update(f"{escape(str(exc))}")
            return
        self.app.push_screen(ReplyScreen(entries[position]["case"], draft))

    def on_screen_resume(self) -> None:
        self.refresh_table()

    def save(self, folder: Path | None) -> None:
        if folder is None:
            return
        message = self.query_one("#message", Static)
        try:
            path, count = self.session.save_reply_file(folder)
        except (CandourError, OSError) as exc:
            message.update(f"Not saved: {escape(str(exc))}")
            return
        message.update(f"Saved {count} repl{'y' if count == 1 else 'ies'} in {escape(shown(path))}")
        self.refresh_table()
