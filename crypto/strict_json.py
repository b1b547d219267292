"""Strict reading and compact writing of the JSON objects in docs/format.md §7–§10.

Every signed or sealed JSON object is read the same way: UTF-8 without a byte-order
mark, no duplicate keys, no NaN/Infinity, exactly the keys the format lists, and each
value of the listed type and within its cap. A reader that is lenient here gives an
attacker room to make two implementations (Python, browser) disagree about one object.

`JsonReader` carries the error classes to raise, so the bundle reader can report
`BundleError`, the reply-file reader `ReplyFileError`, and the submission and reply
readers `FormatError`/`LimitError`, all with the same checks.
"""

import json
import re
from collections.abc import Iterable
from datetime import date
from typing import Any

from .errors import CandourError, FormatError, LimitError
from .identity import b64url, unb64url

_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_HEX = re.compile(r"[0-9a-f]+")


def dumps_compact(value: Any) -> bytes:
    """Serialise for signing or sealing: compact, UTF-8, no ASCII escaping, keys as given."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")


def is_day(text: object) -> bool:
    """True for a real calendar day written `YYYY-MM-DD` (nothing else is accepted)."""
    if not isinstance(text, str) or not _DAY.fullmatch(text):
        return False
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def is_hex(text: object, byte_count: int) -> bool:
    """True for exactly `byte_count` bytes written as lowercase hex."""
    return isinstance(text, str) and len(text) == 2 * byte_count and bool(_HEX.fullmatch(text))


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"the key '{key}' appears twice")
        result[key] = value
    return result


class JsonReader:
    """Checks one kind of document; `what` names it in every error message."""

    def __init__(
        self,
        what: str,
        error: type[CandourError] = FormatError,
        limit_error: type[CandourError] = LimitError,
    ) -> None:
        self.what = what
        self.error = error
        self.limit_error = limit_error

    def fail(self, message: str) -> CandourError:
        """The error to raise for a malformed value (the caller raises it)."""
        return self.error(f"{self.what}: {message}")

    def over_limit(self, message: str) -> CandourError:
        """The error to raise for a count or length over its cap."""
        return self.limit_error(f"{self.what}: {message}")

    def loads(self, data: bytes, max_bytes: int | None = None) -> Any:
        """Parse UTF-8 JSON strictly (size cap first, then duplicates, NaN, BOM refused)."""
        if max_bytes is not None and len(data) > max_bytes:
            raise self.over_limit(f"{len(data):,} bytes is more than the {max_bytes:,} allowed")
        try:
            text = bytes(data).decode("utf-8")
            return json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_refuse_constant)
        except UnicodeDecodeError as exc:
            raise self.fail("it is not UTF-8 text") from exc
        except RecursionError as exc:
            raise self.fail("it is nested too deeply") from exc
        except ValueError as exc:  # JSONDecodeError, duplicate keys, NaN, huge integers
            raise self.fail(f"it is not valid JSON ({exc})") from exc

    def obj(self, value: Any, where: str, required: Iterable[str], optional: Iterable[str] = ()) -> dict[str, Any]:
        """An object with every `required` key, possibly some `optional` ones, and no others."""
        if not isinstance(value, dict):
            raise self.fail(f"{where} must be a JSON object")
        required = tuple(required)
        allowed = set(required) | set(optional)
        missing = [key for key in required if key not in value]
        if missing:
            raise self.fail(f"{where} lacks '{missing[0]}'")
        if len(value) != len(required) and not allowed.issuperset(value):
            unknown = sorted(key for key in value if key not in allowed)
            raise self.fail(f"{where} has an unknown key '{unknown[0]}'")
        return value

    def header(self, value: dict[str, Any], where: str, format_name: str, version: int | tuple[int, ...]) -> int:
        """Check the `format` and `version` members every document starts with; return the version.

        `version` is the one version this reader knows, or a tuple of the versions it reads.
        """
        if value.get("format") != format_name:
            raise self.fail(f"{where} is not a '{format_name}' document (format is {value.get('format')!r})")
        found = value.get("version")
        versions = version if isinstance(version, tuple) else (version,)
        if not isinstance(found, int) or isinstance(found, bool) or found not in versions:
            known = " or ".join(str(v) for v in versions)
            raise self.fail(f"{where} is version {found!r}; this tool reads version {known}: update the tool")
        return found

    def text(self, value: Any, where: str, max_chars: int, *, non_empty: bool = False) -> str:
        """A string of at most `max_chars` Unicode code points (not UTF-16 units)."""
        if not isinstance(value, str):
            raise self.fail(f"{where} must be a string")
        if len(value) > max_chars:
            raise self.over_limit(f"{where} has {len(value):,} characters; at most {max_chars:,} are allowed")
        if non_empty and not value:
            raise self.fail(f"{where} must not be empty")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:  # a lone surrogate from a "\ud800" escape
            raise self.fail(f"{where} contains an invalid Unicode escape") from exc
        return value

    def optional_text(self, value: Any, where: str, max_chars: int, *, non_empty: bool = False) -> str | None:
        """Null, or `text`."""
        return None if value is None else self.text(value, where, max_chars, non_empty=non_empty)

    def integer(self, value: Any, where: str, low: int, high: int) -> int:
        """An integer (not a boolean, not a float) in low..high inclusive."""
        if not isinstance(value, int) or isinstance(value, bool):
            raise self.fail(f"{where} must be an integer")
        if not low <= value <= high:
            raise self.over_limit(f"{where} is {value}; it must be between {low} and {high:,}")
        return value

    def boolean(self, value: Any, where: str) -> bool:
        """`true` or `false`, nothing else (not 0 or 1)."""
        if not isinstance(value, bool):
            raise self.fail(f"{where} must be true or false")
        return value

    def hex_id(self, value: Any, where: str, byte_count: int) -> str:
        """Lowercase hex of exactly `byte_count` bytes, returned as the string."""
        if not is_hex(value, byte_count):
            raise self.fail(f"{where} must be {byte_count} bytes in lowercase hex")
        text: str = value
        return text

    def hex_bytes(self, value: Any, where: str, byte_count: int) -> bytes:
        """Lowercase hex of exactly `byte_count` bytes, decoded."""
        return bytes.fromhex(self.hex_id(value, where, byte_count))

    def optional_hex_bytes(self, value: Any, where: str, byte_count: int) -> bytes | None:
        """Null, or `hex_bytes`."""
        return None if value is None else self.hex_bytes(value, where, byte_count)

    def raw(self, value: Any, where: str, *, byte_count: int | None = None, max_bytes: int | None = None) -> bytes:
        """base64url without padding, decoded; an exact length or a cap on the decoded bytes."""
        if not isinstance(value, str):
            raise self.fail(f"{where} must be a base64url string")
        if max_bytes is not None and len(value) > (max_bytes * 4 + 2) // 3:
            raise self.over_limit(f"{where} is longer than the {max_bytes:,} bytes allowed")
        try:
            decoded = unb64url(value) if value else b""
        except ValueError as exc:
            raise self.fail(f"{where} is not valid base64url") from exc
        # Only one spelling per byte string: no padding, no stray whitespace, canonical last character.
        if b64url(decoded) != value:
            raise self.fail(f"{where} is not canonical base64url (no padding, no spaces)")
        if byte_count is not None and len(decoded) != byte_count:
            raise self.fail(f"{where} must be {byte_count} bytes, not {len(decoded)}")
        return decoded

    def optional_raw(
        self, value: Any, where: str, *, byte_count: int | None = None, max_bytes: int | None = None
    ) -> bytes | None:
        """Null, or `raw`."""
        return None if value is None else self.raw(value, where, byte_count=byte_count, max_bytes=max_bytes)

    def day(self, value: Any, where: str) -> str:
        """A calendar day written `YYYY-MM-DD`."""
        if not is_day(value):
            raise self.fail(f"{where} must be a day written YYYY-MM-DD")
        text: str = value
        return text

    def optional_day(self, value: Any, where: str) -> str | None:
        """Null, or `day`."""
        return None if value is None else self.day(value, where)

    def list(self, value: Any, where: str, max_items: int, *, min_items: int = 0) -> list[Any]:
        """A JSON array with `min_items`..`max_items` entries (entries are checked by the caller)."""
        if not isinstance(value, list):
            raise self.fail(f"{where} must be a list")
        if len(value) > max_items:
            raise self.over_limit(f"{where} has {len(value):,} entries; at most {max_items:,} are allowed")
        if len(value) < min_items:
            raise self.fail(f"{where} must have at least {min_items} entr{'y' if min_items == 1 else 'ies'}")
        return value
