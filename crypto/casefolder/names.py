"""Reporter-supplied names made safe to use as file names, and escaping for HTML and links."""

import html
import re
import unicodedata
import urllib.parse

from ..text import is_forbidden_char

MAX_FILE_NAME_CHARS = 100
MAX_FILE_NAME_BYTES = 200  # well under the 255-byte limit of common file systems
MAX_EXTENSION_CHARS = 16
WINDOWS_RESERVED = frozenset(
    ["CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$", "CLOCK$"]
    + [f"{prefix}{digit}" for prefix in ("COM", "LPT") for digit in "0123456789¹²³"]
)
# Characters Windows refuses in names, and path separators everywhere.
UNSAFE_NAME_CHARACTERS = re.compile(r'[<>:"/\\|?*]')


# --- safe names and text -------------------------------------------------------------------


def safe_file_name(name: str, fallback: str) -> str:
    """Make a reporter-supplied file name safe to create inside one folder.

    Path separators and characters Windows refuses become '_', control and invisible
    formatting characters are removed, '..' collapses, leading dots and spaces and
    trailing dots and spaces go, reserved device names (CON, NUL, COM1…) get a '_'
    prefix, and the result is at most 100 characters and 200 bytes, keeping a short
    extension. An empty result becomes `fallback`. The result is never '.', '..' or
    anything with a separator.
    """
    text = unicodedata.normalize("NFC", name if isinstance(name, str) else "")
    text = "".join(c for c in text if not is_forbidden_char(c))
    text = UNSAFE_NAME_CHARACTERS.sub("_", text)
    text = re.sub(r"\.{2,}", ".", text)
    text = text.strip().lstrip(". _").rstrip(". ")
    stem, dot, extension = text.rpartition(".")
    if not dot or not stem or len(extension) > MAX_EXTENSION_CHARS or " " in extension:
        stem, extension = text, ""
    if stem.split(".")[0].strip().upper() in WINDOWS_RESERVED:
        stem = "_" + stem
    suffix = f".{extension}" if extension else ""
    stem = _truncate(stem, MAX_FILE_NAME_CHARS - len(suffix), MAX_FILE_NAME_BYTES - len(suffix.encode("utf-8")))
    result = (stem.rstrip(". ") + suffix) if stem.rstrip(". ") else ""
    if not result or result in (".", "..") or "/" in result or "\\" in result:
        return fallback
    return result


def _truncate(text: str, max_chars: int, max_bytes: int) -> str:
    text = text[: max(max_chars, 0)]
    while len(text.encode("utf-8")) > max_bytes:
        text = text[:-1]
    return text


def numbered_name(name: str, taken: set[str]) -> str:
    """`name`, or `name (2).ext`, `name (3).ext`… — unique ignoring case (Windows, macOS)."""
    if name.casefold() not in taken:
        taken.add(name.casefold())
        return name
    stem, dot, extension = name.rpartition(".")
    if not dot or not stem:
        stem, extension = name, ""
    suffix = f".{extension}" if extension else ""
    number = 2
    while True:
        marker = f" ({number})"
        candidate = _truncate(stem, MAX_FILE_NAME_CHARS - len(marker) - len(suffix), MAX_FILE_NAME_BYTES - 16)
        candidate = f"{candidate}{marker}{suffix}"
        if candidate.casefold() not in taken:
            taken.add(candidate.casefold())
            return candidate
        number += 1


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def href(*segments: str) -> str:
    return "/".join(urllib.parse.quote(segment, safe="") for segment in segments)
