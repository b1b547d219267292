"""The Candour Desk: a Textual application in any terminal window (Tails' included).

Why a terminal application: on Tails a local web server cannot be reached from Tor
Browser (it sends even 127.0.0.1 through Tor, and offline there is no Tor), and Tor
Browser may read only a few folders; Textual runs in the terminal, takes the mouse and
ships as pure-Python wheels the kit bundles. State: the unlocked `Session` (or None).
"""

import time
from pathlib import Path

from textual import events
from textual.app import App

from .screens import QueueScreen, UnlockScreen
from .session import Session

IDLE_LOCK_SECONDS = 15 * 60
IDLE_CHECK_SECONDS = 5

CSS = """
Screen { background: $surface; }
.title { text-style: bold; color: $accent; margin: 1 0; }
.heading { text-style: bold underline; margin: 1 0 0 0; color: $text; }
.warning { color: $error; text-style: bold; }
.error { color: $error; }
.note { color: $warning; }
.field { margin: 0 0 1 2; }
.fingerprint { text-style: bold; color: $accent; margin: 1 2; }
.panel { padding: 0 2; }
.buttons { height: auto; margin: 1 0; }
.buttons Button { margin-right: 2; }
.toolbar { height: auto; }
.toolbar Input { width: 1fr; }
.attachment { height: auto; margin-left: 2; }
.attachment-name { width: 1fr; padding-top: 1; }
.places { height: auto; }
#picker { background: $panel; border: thick $accent; padding: 1 2; margin: 2 4; }
#tree { height: 1fr; min-height: 8; }
#queue { height: 1fr; }
.queue-header { text-style: bold reverse; height: 1; overflow: hidden; }
#text { height: 8; }
#unlock { width: 90; }
"""


class DeskApp(App[None]):
    TITLE = "Candour Desk"
    CSS = CSS
    BINDINGS = [("ctrl+l", "lock", "Lock")]

    def __init__(
        self,
        key_path: Path | None = None,
        data_dir: Path | None = None,
        *,
        idle_seconds: float = IDLE_LOCK_SECONDS,
        open_files: bool = True,
        kdf_profile: str = "moderate",
    ) -> None:
        super().__init__()
        self.key_path = key_path
        self.data_dir = data_dir
        self.idle_seconds = idle_seconds
        self.open_files = open_files  # tests turn off handing files to the desktop's viewer
        self.kdf_profile = kdf_profile  # for keys made in the Desk; tests use "interactive"
        self.session: Session | None = None
        self.usb_hint: Path | None = None
        self.last_activity = time.monotonic()

    def on_mount(self) -> None:
        self.push_screen(UnlockScreen(self.key_path))
        self.set_interval(IDLE_CHECK_SECONDS, self.lock_if_idle)

    def on_unmount(self) -> None:
        if self.session is not None:  # quitting without locking still forgets and removes copies
            self.session.lock()
            self.session = None

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key | events.MouseDown | events.MouseScrollDown | events.MouseScrollUp):
            self.last_activity = time.monotonic()
        await super().on_event(event)

    def lock_if_idle(self) -> None:
        if self.session is not None and time.monotonic() - self.last_activity >= self.idle_seconds:
            self.action_lock()
            self.notify("Locked after 15 minutes without use: everything decrypted was forgotten.")

    def unlocked(self, session: Session) -> None:
        self.session = session
        self.last_activity = time.monotonic()
        self.push_screen(QueueScreen())

    def action_lock(self) -> None:
        """Forget every decrypted byte, remove temporary copies, back to Unlock."""
        if self.session is not None:
            self.session.lock()
            self.session = None
        while len(self.screen_stack) > 1:
            self.pop_screen()
        self.push_screen(UnlockScreen(self.key_path))

    def headless_start(self) -> int:
        """Start without a terminal, show the Unlock screen, stop: the kit's install check."""
        shown: list[str] = []

        async def look(pilot: object) -> None:
            await self.workers.wait_for_complete()
            shown.append(type(self.screen).__name__)
            self.exit()

        self.run(headless=True, auto_pilot=look)
        if shown == ["UnlockScreen"]:
            print("Candour Desk started: Unlock screen shown")
            return 0
        print(f"Candour Desk did not reach the Unlock screen (it showed {shown or 'nothing'})")
        return 1
