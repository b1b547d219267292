"""The one rule for control and format characters, and how untrusted text is cleaned.

Used by the kit, the portal and (mirrored) the browser code, so that a name the portal
accepts is a name the kit accepts, and a character refused in one place is refused in
all of them.

A character is *forbidden* when its Unicode general category is Cc (C0 and C1 controls,
U+007F, U+0085…), Cf (invisible formatting: U+200E/U+200F, the bidirectional overrides
U+202A–U+202E and isolates U+2066–U+2069, U+FEFF…), Zl, Zp (line and paragraph
separators) or Cs (a lone surrogate, which cannot be written as UTF-8). The right-to-left
override is why Cf is included: it makes "gpj.exe" read as "exe.jpg" and can make one
reviewer's name look like another's.

- A label (a name, role, status label or any single-line field) may contain no forbidden
  character at all, and may not start or end with white space: it is refused, not
  stripped, so that what was signed or stored is exactly what is shown. (Once forbidden
  characters are refused, Python's `str.isspace()` and JavaScript's `\\s` agree on what
  white space is.)
- Multi-line text (report text, reply text) may contain U+000A (line feed) and no other
  forbidden character. A Windows line ending (CR LF) is read as one line feed first; a
  lone CR is refused. A TAB is refused too; a submission's writer first turns each TAB
  into spaces (`expand_tabs`), so a pasted table is sealed as it looked, not refused.

`clean_text` and `visible_name` are the display side: text that was already accepted
elsewhere (or comes from a file) is shown with forbidden characters escaped, never
interpreted, so a reporter's escape sequences cannot drive a reviewer's terminal.
"""

import unicodedata

from .errors import TextError

FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})
# Egyptian hieroglyph format controls: Cf since Unicode 15.0, unassigned (Cn) in Python
# 3.11's Unicode 14 database, so named here to keep the rule the same as JavaScript's
# (docs/format.md §1.3).
LATE_FORMAT_CHARS = range(0x13439, 0x13440)
LINE_FEED = "\n"
# Where a writer's expanded TAB ends: every 8th column, as a browser's <textarea> shows a
# TAB (CSS tab-size: 8), so the reporter's table is sealed the way they saw it.
TAB_STOP = 8


def is_forbidden_char(ch: str) -> bool:
    """True when `ch` (one character) is a control, format, separator or surrogate character."""
    return unicodedata.category(ch) in FORBIDDEN_CATEGORIES or ord(ch) in LATE_FORMAT_CHARS


def _first_forbidden(text: str, allowed: str = "") -> int | None:
    # Printable text is by far the common case: one C-level check skips the loop. Every
    # forbidden character is non-printable to Python (Cc, Cf, Zl, Zp, Cs and unassigned
    # code points are), so printable text, once the allowed line feeds are set aside, has none.
    if text.isprintable() or (allowed and text.replace(allowed, "").isprintable()):
        return None
    for position, ch in enumerate(text):
        if ch not in allowed and is_forbidden_char(ch):
            return position
    return None


def _describe(ch: str) -> str:
    name = unicodedata.name(ch, "")
    return f"U+{ord(ch):04X} {name}".rstrip()


def _check_type_and_length(text: object, field: str, max_chars: int) -> str:
    if not isinstance(text, str):
        raise TextError(f"the {field} must be text")
    if len(text) > max_chars:
        raise TextError(f"the {field} is longer than {max_chars} characters ({len(text)})")
    return text


def check_label(text: str, *, field: str, max_chars: int, allow_empty: bool = False) -> str:
    """Return `text` unchanged if it is an acceptable single-line label; raise `TextError` if not.

    Refused: anything that is not a `str`, more than `max_chars` characters, any forbidden
    character (see the module docstring), white space at either end, and — unless
    `allow_empty` — the empty string. `field` names the field in the message
    ("reviewer's name", "status label").
    """
    text = _check_type_and_length(text, field, max_chars)
    if not text:
        if allow_empty:
            return text
        raise TextError(f"the {field} is empty")
    position = _first_forbidden(text)
    if position is not None:
        raise TextError(
            f"the {field} contains a control or invisible formatting character "
            f"({_describe(text[position])}, at character {position + 1}); remove it"
        )
    if text != text.strip():
        raise TextError(f"the {field} starts or ends with white space; remove it")
    return text


def check_multiline(text: str, *, field: str, max_chars: int) -> str:
    """Return multi-line `text` with CR LF read as LF; raise `TextError` if it is not acceptable.

    Refused: anything that is not a `str`, more than `max_chars` characters (counted after
    CR LF became LF), and any forbidden character other than U+000A — tabs, lone CRs,
    escape sequences and bidirectional overrides included. Empty text is accepted; whether
    a field may be empty is the caller's rule.
    """
    if isinstance(text, str) and "\r\n" in text:
        text = text.replace("\r\n", LINE_FEED)
    text = _check_type_and_length(text, field, max_chars)
    position = _first_forbidden(text, allowed=LINE_FEED)
    if position is not None:
        raise TextError(
            f"the {field} contains a control or invisible formatting character "
            f"({_describe(text[position])}, at character {position + 1}); only line breaks are allowed"
        )
    return text


def expand_tabs(text: str) -> str:
    """`text` with each TAB replaced by spaces up to the next multiple of `TAB_STOP` columns.

    A writer's step (docs/format.md §1.3), taken after CR LF and lone CR became LF and
    before `check_multiline`, which a reader applies to the same text and which still
    refuses a TAB. Columns count code points from the start of the line (Python's
    `str.expandtabs`; static/js/crypto/text.js `expandTabs` counts the same way).
    """
    return text.expandtabs(TAB_STOP)


# --- display: escape, never interpret -----------------------------------------------------------


def escaped(ch: str) -> str:
    """How a forbidden character is shown: \\xNN below U+0100, \\uNNNN above."""
    return f"\\x{ord(ch):02x}" if ord(ch) < 256 else f"\\u{ord(ch):04x}"


def _cleaned(ch: str) -> str:
    # Tabs are kept on display: they cannot drive a terminal and reports written
    # before the multi-line rule existed may contain them.
    if ch in "\n\t" or not is_forbidden_char(ch):
        return ch
    return escaped(ch)


class _CleanTable(dict[int, str]):
    """`str.translate` table for `clean_text`, filled once per distinct character seen.

    Looking a character up is then a C-level dict hit instead of a Python call per
    character (the per-character loop was the largest CPU cost of `decrypt`). At most
    CLEAN_TABLE_LIMIT entries are kept, so a bundle using every code point cannot grow it
    without bound; past that, characters are classified each time.
    """

    def __missing__(self, ordinal: int) -> str:
        value = _cleaned(chr(ordinal))
        if len(self) < CLEAN_TABLE_LIMIT:
            self[ordinal] = value
        return value


CLEAN_TABLE_LIMIT = 65_536
_CLEAN_TABLE = _CleanTable()


def clean_text(text: str) -> str:
    """Text for a .txt file or a terminal: CR LF read as LF, newlines and tabs kept, every
    other forbidden character shown as an escape (\\x1b, \\u202e).

    A reviewer who `cat`s a file must not have the reporter's escape sequences drive
    their terminal.
    """
    return text.replace("\r\n", "\n").translate(_CLEAN_TABLE)


def visible_name(text: str) -> str:
    """A name for display on one line: every forbidden character (newlines and tabs too) escaped."""
    return clean_text(text).replace("\n", "\\n").replace("\t", "\\t")
