"""The queue's list: draws only the rows on screen, so 10,000 cases show as fast as 10.

Textual's DataTable measures every cell of every row when rows are added (seconds for
10,000); this list keeps the sorted cases and formats a row only when it is drawn
(the Line API: `render_line`). Keyboard: arrows, Page Up/Down, Home/End, Enter; mouse:
click a row to open it.
"""

from collections.abc import Callable, Sequence

from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.events import Click
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

# (heading, width) of each column; the last one takes what is left.
COLUMNS = (("Case", 10), ("Received", 12), ("Status", 24), ("Deadline", 30), ("Category", 18), ("New follow-ups", 16))
Row = tuple[tuple[str, ...], bool]  # the cells, and whether the row is overdue

HEADER_STYLE = Style(bold=True, reverse=True)
OVERDUE_STYLE = Style(color="red", bold=True)
CURSOR_STYLE = Style(reverse=True)


def format_cells(cells: Sequence[str]) -> str:
    parts = []
    for (_, width), cell in zip(COLUMNS, cells, strict=True):
        text = " ".join(cell.split())
        parts.append(text[: width - 1].ljust(width) if len(text) >= width else text.ljust(width))
    return "".join(parts)


def header_line() -> str:
    return format_cells([name for name, _ in COLUMNS]).ljust(300)  # the bar spans any terminal width


class QueueList(ScrollView, can_focus=True):
    BINDINGS = [
        Binding("up", "move(-1)", "Up", show=False),
        Binding("down", "move(1)", "Down", show=False),
        Binding("pageup", "move(-20)", "Page up", show=False),
        Binding("pagedown", "move(20)", "Page down", show=False),
        Binding("home", "move(-1000000)", show=False),
        Binding("end", "move(1000000)", show=False),
        Binding("enter", "open", "Open the case"),
    ]
    cursor = reactive(0)

    class Opened(Message):
        def __init__(self, case_id: str) -> None:
            super().__init__()
            self.case_id = case_id

    def __init__(self, **kwargs: str) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.case_ids: list[str] = []
        self.row_for: Callable[[int], Row] = lambda index: ((), False)

    @property
    def row_count(self) -> int:
        return len(self.case_ids)

    def show(self, case_ids: list[str], row_for: Callable[[int], Row]) -> None:
        """Show these cases; `row_for(i)` formats row i when (and only when) it is drawn."""
        self.case_ids = case_ids
        self.row_for = row_for
        self.cursor = 0
        self.scroll_to(0, 0, animate=False)
        self.virtual_size = Size(sum(width for _, width in COLUMNS), len(case_ids))
        self.refresh()

    def render_line(self, y: int) -> Strip:
        index = y + self.scroll_offset.y
        width = max(self.size.width, self.virtual_size.width)
        if index >= len(self.case_ids):
            return Strip.blank(self.size.width)
        cells, overdue = self.row_for(index)
        style = OVERDUE_STYLE if overdue else Style()
        if index == self.cursor and self.has_focus:
            style = style + CURSOR_STYLE
        elif index == self.cursor:
            style = style + Style(bgcolor="grey30")
        line = format_cells(cells).ljust(width)
        return Strip([Segment(line, style)]).crop(self.scroll_offset.x, self.scroll_offset.x + self.size.width)

    def watch_cursor(self, old: int, new: int) -> None:
        self.refresh()

    def action_move(self, delta: int) -> None:
        if not self.case_ids:
            return
        self.cursor = min(max(self.cursor + delta, 0), len(self.case_ids) - 1)
        top = self.scroll_offset.y
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False)
        elif self.cursor >= top + self.size.height:
            self.scroll_to(y=self.cursor - self.size.height + 1, animate=False)

    def action_open(self) -> None:
        if self.case_ids:
            self.post_message(self.Opened(self.case_ids[self.cursor]))

    def on_click(self, event: Click) -> None:
        index = event.y + self.scroll_offset.y
        if 0 <= index < len(self.case_ids):
            self.cursor = index
            self.post_message(self.Opened(self.case_ids[index]))

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()
