"""Read a multipart/form-data request body as it arrives, never spooling it to disk.

The wire level of the intake: bytes in, FormEvents out (portal/intake/form.py is the
one reader that gives them meaning for both reporter paths).

Werkzeug's own form parser writes uploads over 500 KiB to a temporary file: on the
no-JavaScript path that file would hold a report's plaintext. This reader feeds the
raw request stream through python-multipart's push parser and hands file contents to
the caller piece by piece (the caller seals them at once); text fields are kept in
memory up to a cap. Limits are enforced while the body streams in, so an oversized
upload is refused before it is all read.

(Werkzeug's sans-IO decoder was tried first: it turns a boundary's line break into
data when a read ends between the CR and the LF, or right after a boundary: a stray
byte at the end of a field or file. python-multipart parses any split correctly;
tests/test_streaming_form.py feeds bodies one byte at a time.)

The generator ends only once the WHOLE declared body has arrived: after the closing
boundary it reads on to the Content-Length (or, without one, to the end of the
stream). A client that sends a complete form under a larger Content-Length and then
hangs up has not finished sending, and nobody is there to be shown a codename: such
a body ends in MalformedFormError like any other interrupted upload, before the
caller commits anything.
"""

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, BinaryIO

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, MultipartState
from werkzeug.exceptions import ClientDisconnected
from werkzeug.http import parse_options_header

if TYPE_CHECKING:
    # Defined for type checkers only (python-multipart declares it under TYPE_CHECKING).
    from python_multipart.multipart import MultipartCallbacks

READ_SIZE = 64 * 1024

# python-multipart logs each parse error with the offending byte of the body ("got
# 203 at index 2"): a byte of what a reporter sent must not reach the log. Its errors
# still arrive as exceptions, which iter_form turns into fixed-text MalformedFormError.
logging.getLogger("python_multipart").setLevel(logging.CRITICAL)


class FormError(Exception):
    """The request body is not a form this portal accepts."""


class FormTooLargeError(FormError):
    """A size or count limit was exceeded while the body streamed in."""


class MalformedFormError(FormError):
    """The body is not well-formed multipart/form-data."""


@dataclass(frozen=True)
class FormLimits:
    max_body_bytes: int
    max_field_bytes: int = 200_000 * 4  # 200,000 characters of UTF-8 at most
    max_text_bytes: int = 2 * 1024 * 1024
    max_fields: int = 100
    max_files: int = 63


@dataclass(frozen=True)
class TextField:
    name: str
    value: str


@dataclass(frozen=True)
class FileStart:
    name: str
    filename: str
    content_type: str


@dataclass(frozen=True)
class FileChunk:
    data: bytes


@dataclass(frozen=True)
class FileEnd:
    size: int


FormEvent = TextField | FileStart | FileChunk | FileEnd


def multipart_boundary(content_type: str | None) -> bytes:
    mimetype, options = parse_options_header(content_type or "")
    boundary = options.get("boundary", "")
    if mimetype != "multipart/form-data" or not boundary:
        raise MalformedFormError("the form must be sent as multipart/form-data")
    if len(boundary) > 200:
        raise MalformedFormError("the form's boundary is too long")
    return boundary.encode("latin-1")


class _PartCollector:
    """Turns python-multipart's callbacks into FormEvents, checking limits as they come."""

    def __init__(self, limits: FormLimits) -> None:
        self.limits = limits
        self.events: list[FormEvent] = []
        self.finished = False
        self.fields = 0
        self.files = 0
        self.text_bytes = 0
        self._header_name = bytearray()
        self._header_value = bytearray()
        self._headers: dict[str, str] = {}
        self._field_name: str | None = None
        self._field_value = bytearray()
        self._file_size: int | None = None

    def callbacks(self) -> "MultipartCallbacks":
        return {
            "on_part_begin": self._part_begin,
            "on_header_field": lambda data, start, end: self._header_name.extend(data[start:end]),
            "on_header_value": lambda data, start, end: self._header_value.extend(data[start:end]),
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._part_data,
            "on_part_end": self._part_end,
        }

    def _part_begin(self) -> None:
        self._headers = {}
        self._field_name = None
        self._file_size = None

    def _header_end(self) -> None:
        name = self._header_name.decode("latin-1").strip().lower()
        self._headers[name] = self._header_value.decode("utf-8", "replace").strip()
        self._header_name.clear()
        self._header_value.clear()

    def _headers_finished(self) -> None:
        disposition, options = parse_options_header(self._headers.get("content-disposition", ""))
        name = options.get("name")
        if disposition != "form-data" or name is None:
            raise MalformedFormError("a part of the form has no field name")
        filename = options.get("filename")
        if filename is not None:
            self.files += 1
            if self.files > self.limits.max_files:
                raise FormTooLargeError(f"at most {self.limits.max_files} files can be attached")
            self._file_size = 0
            self.events.append(FileStart(name, filename, self._headers.get("content-type", "")))
        else:
            self.fields += 1
            if self.fields > self.limits.max_fields:
                raise FormTooLargeError("the form has too many fields")
            self._field_name = name
            self._field_value.clear()

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._file_size is not None:
            self._file_size += end - start
            self.events.append(FileChunk(bytes(data[start:end])))
            return
        self._field_value.extend(data[start:end])
        if len(self._field_value) > self.limits.max_field_bytes:
            raise FormTooLargeError(f"the field '{self._field_name}' is longer than this portal accepts")

    def _part_end(self) -> None:
        if self._file_size is not None:
            self.events.append(FileEnd(self._file_size))
            self._file_size = None
            return
        self.text_bytes += len(self._field_value)
        if self.text_bytes > self.limits.max_text_bytes:
            raise FormTooLargeError("the text of the form is longer than this portal accepts")
        try:
            value = self._field_value.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise MalformedFormError(f"the field '{self._field_name}' is not valid UTF-8 text") from exc
        self._field_value.clear()
        self.events.append(TextField(str(self._field_name), value.replace("\r\n", "\n")))


def iter_form(
    stream: BinaryIO, content_type: str | None, content_length: int | None, limits: FormLimits
) -> Iterator[FormEvent]:
    """Yield text fields whole and files as start / chunks / end, in body order.

    Raises FormTooLargeError as soon as a limit is crossed, MalformedFormError for a
    broken body. A caller that stops early must discard what it did with the events.
    """
    if content_length is not None and content_length > limits.max_body_bytes:
        raise FormTooLargeError("the upload is larger than this portal accepts")
    collector = _PartCollector(limits)
    parser = MultipartParser(multipart_boundary(content_type), collector.callbacks(), max_header_count=4)
    received = 0
    pending: list[FormEvent] = []
    while not collector.finished:
        block = _read(stream, READ_SIZE)
        if not block:
            raise MalformedFormError("the form data ended early: the upload was interrupted")
        received += len(block)
        if received > limits.max_body_bytes:
            raise FormTooLargeError("the upload is larger than this portal accepts")
        try:
            parser.write(block)
        except FormParserError as exc:
            raise MalformedFormError("the form data is malformed") from exc
        if parser.state == MultipartState.END:
            collector.finished = True
            # The last events are held back until the rest of the declared body is in.
            pending = list(collector.events)
        else:
            yield from collector.events
        collector.events.clear()
    _read_to_declared_end(stream, received, content_length, limits)
    yield from pending


def _read(stream: BinaryIO, size: int) -> bytes:
    try:
        return stream.read(size)
    except ClientDisconnected:
        # Werkzeug's length-limited stream (servers without wsgi.input_terminated).
        return b""


def _read_to_declared_end(stream: BinaryIO, received: int, content_length: int | None, limits: FormLimits) -> None:
    """Read (and drop: it is the multipart epilogue) what follows the closing boundary,
    up to the declared length or the end of the stream; an early end is an interruption."""
    while content_length is None or received < content_length:
        block = _read(stream, READ_SIZE if content_length is None else min(READ_SIZE, content_length - received))
        if not block:
            if content_length is None:
                return
            raise MalformedFormError("the form data ended early: the upload was interrupted")
        received += len(block)
        if received > limits.max_body_bytes:
            raise FormTooLargeError("the upload is larger than this portal accepts")
