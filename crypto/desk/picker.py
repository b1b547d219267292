"""A file and folder chooser: the reviewer picks with arrows or the mouse, never types a path."""

import os
from collections.abc import Iterable
from pathlib import Path

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, DirectoryTree, Label, Static


class _FilteredTree(DirectoryTree):
    def __init__(self, path: Path, suffixes: tuple[str, ...], folders_only: bool, **kwargs: object) -> None:
        self.suffixes = suffixes
        self.folders_only = folders_only
        super().__init__(path, **kwargs)  # type: ignore[arg-type]

    def filter_paths(self, paths: Iterable[Path]) -> Iterable[Path]:
        shown = []
        for path in paths:
            if path.name.startswith("."):
                continue
            if path.is_dir() or (not self.folders_only and path.suffix.lower() in self.suffixes):
                shown.append(path)
        return shown


def shown(path: Path) -> str:
    """A path as the reviewer reads it: ~ for the home folder."""
    home = Path.home()
    try:
        return "~/" + path.relative_to(home).as_posix() if path != home else "~"
    except ValueError:
        return str(path)


def places(home: Path) -> list[tuple[str, Path]]:
    """Where reviewers keep things: home, Tails' Persistent folder, USB sticks."""
    found = [("Home", home)]
    persistent = home / "Persistent"
    if persistent.is_dir():
        found.append(("Persistent", persistent))
    user = os.environ.get("USER", "")
    for media in (Path("/media") / user, Path("/run/media") / user, Path("/Volumes")):
        if user and media.is_dir():
            found.extend((f"USB: {stick.name}", stick) for stick in sorted(media.iterdir()) if stick.is_dir())
    return found


class PickPath(ModalScreen[Path | None]):
    """Choose a file (with one of `suffixes`) or, with `folders_only`, a folder."""

    BINDINGS = [("escape", "cancel", "Cancel")]

    def __init__(
        self, title: str, start: Path, *, suffixes: tuple[str, ...] = (), folders_only: bool = False, note: str = ""
    ) -> None:
        super().__init__()
        self.title_text = title
        self.start = start
        self.suffixes = suffixes
        self.folders_only = folders_only
        self.note = note
        self.chosen: Path | None = start if folders_only else None

    def compose(self) -> ComposeResult:
        with Vertical(id="picker"):
            yield Label(self.title_text, classes="title")
            if self.note:
                yield Static(self.note, classes="warning")
            with Horizontal(classes="places"):
                for number, (name, _path) in enumerate(places(Path.home())):
                    yield Button(name, id=f"place-{number}", classes="place")
            yield _FilteredTree(self.start, self.suffixes, self.folders_only, id="tree")
            yield Static(self._chosen_text(), id="chosen")
            with Horizontal(classes="buttons"):
                yield Button("Choose", id="choose", variant="primary", disabled=self.chosen is None)
                yield Button("Cancel", id="cancel")

    def _chosen_text(self) -> str:
        if self.chosen is None:
            return "Nothing chosen yet: use the arrow keys and Enter, or click."
        return f"Chosen: {shown(self.chosen)}"

    def _choose(self, path: Path) -> None:
        self.chosen = path
        self.query_one("#chosen", Static).update(self._chosen_text())
        self.query_one("#choose", Button).disabled = False

    def on_directory_tree_file_selected(self, event: DirectoryTree.FileSelected) -> None:
        if not self.folders_only:
            self._choose(event.path)

    def on_directory_tree_directory_selected(self, event: DirectoryTree.DirectorySelected) -> None:
        if self.folders_only:
            self._choose(event.path)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        button = event.button.id or ""
        if button == "choose":
            self.dismiss(self.chosen)
        elif button == "cancel":
            self.dismiss(None)
        elif button.startswith("place-"):
            path = places(Path.home())[int(button.removeprefix("place-"))][1]
            self.query_one("#tree", _FilteredTree).path = path
            if self.folders_only:
                self._choose(path)

    def action_cancel(self) -> None:
        self.dismiss(None)
