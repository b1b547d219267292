"""The streaming form reader: events in body order, limits enforced mid-stream."""

import io
import os

import pytest

from portal.intake.multipart import (
    FileChunk,
    FileEnd,
    FileStart,
    FormLimits,
    FormTooLargeError,
    MalformedFormError,
    TextField,
    iter_form,
)

LIMITS = FormLimits(max_body_bytes=10 * 1024 * 1024)


BOUNDARY = "----CandourTestBoundary7MA4YWxkTrZu0gW"


def _body(fields: list[tuple[str, object]]) -> tuple[bytes, str]:
    """Encode a form the way browsers do (Werkzeug's test encoder omits the line
    break before the boundary after an empty file, which no browser does)."""
    out = bytearray()
    for name, value in fields:
        out += f"--{BOUNDARY}\r\n".encode()
        if isinstance(value, tuple):
            filename, content = value
            out += f'Content-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'.encode()
            out += b"Content-Type: application/octet-stream\r\n\r\n" + content + b"\r\n"
        else:
            out += f'Content-Disposition: form-data; name="{name}"\r\n\r\n'.encode() + str(value).encode() + b"\r\n"
    out += f"--{BOUNDARY}--\r\n".encode()
    return bytes(out), f"multipart/form-data; boundary={BOUNDARY}"


class TrickleStream(io.RawIOBase):
    """Hands out the body a few bytes at a time, as a slow onion link would."""

    def __init__(self, data: bytes, step: int) -> None:
        self._data, self._step, self._pos = data, step, 0

    def read(self, size: int = -1) -> bytes:
        piece = self._data[self._pos : self._pos + min(self._step, size if size > 0 else self._step)]
        self._pos += len(piece)
        return piece


def _collect(events):
    fields, files, current = [], [], None
    for event in events:
        if isinstance(event, TextField):
            fields.append((event.name, event.value))
        elif isinstance(event, FileStart):
            current = [event.filename, bytearray()]
        elif isinstance(event, FileChunk):
            current[1] += event.data
        elif isinstance(event, FileEnd):
            assert event.size == len(current[1])
            files.append((current[0], bytes(current[1])))
    return fields, files


@pytest.mark.parametrize("step", [1, 7, 1000, 65536])
def test_fields_and_files_arrive_in_order_whatever_the_read_size(step: int) -> None:
    payload = os.urandom(200_000) + b"\r\n--not-the-boundary\r\n" + bytes(100)
    body, content_type = _body(
        [("what", "Line one\r\nLine two – ünïcode"), ("f", ("a.bin", payload)), ("f", ("b.txt", b"")), ("x", "y")]
    )
    fields, files = _collect(iter_form(TrickleStream(body, step), content_type, len(body), LIMITS))
    assert fields == [("what", "Line one\nLine two – ünïcode"), ("x", "y")]
    assert files == [("a.bin", payload), ("b.txt", b"")]


def test_oversized_body_is_refused_from_its_declared_length() -> None:
    body, content_type = _body([("f", ("a.bin", bytes(2000)))])
    with pytest.raises(FormTooLargeError):
        list(iter_form(io.BytesIO(body), content_type, len(body), FormLimits(max_body_bytes=1000)))


def test_oversized_body_is_refused_while_streaming_without_a_length() -> None:
    body, content_type = _body([("f", ("a.bin", bytes(300_000)))])
    seen = 0
    with pytest.raises(FormTooLargeError):
        for event in iter_form(io.BytesIO(body), content_type, None, FormLimits(max_body_bytes=200_000)):
            if isinstance(event, FileChunk):
                seen += len(event.data)
    assert seen < 200_000


def test_field_cap_and_file_count_cap() -> None:
    body, content_type = _body([("what", "x" * 5000)])
    with pytest.raises(FormTooLargeError):
        limits = FormLimits(max_body_bytes=10**6, max_field_bytes=4000)
        list(iter_form(io.BytesIO(body), content_type, len(body), limits))
    body, content_type = _body([("f", ("a", b"1")), ("f", ("b", b"2")), ("f", ("c", b"3"))])
    with pytest.raises(FormTooLargeError):
        list(iter_form(io.BytesIO(body), content_type, len(body), FormLimits(max_body_bytes=10**6, max_files=2)))


def test_interrupted_upload_is_malformed_not_silently_short() -> None:
    body, content_type = _body([("f", ("a.bin", os.urandom(100_000)))])
    with pytest.raises(MalformedFormError):
        list(iter_form(io.BytesIO(body[:50_000]), content_type, None, LIMITS))


@pytest.mark.parametrize("content_type", [None, "application/x-www-form-urlencoded", "multipart/form-data"])
def test_non_multipart_is_refused(content_type) -> None:
    with pytest.raises(MalformedFormError):
        list(iter_form(io.BytesIO(b"a=b"), content_type, 3, LIMITS))


def test_invalid_utf8_text_is_refused() -> None:
    boundary = "XyZ"
    body = b'--XyZ\r\nContent-Disposition: form-data; name="what"\r\n\r\n\xff\xfe\r\n--XyZ--\r\n'
    with pytest.raises(MalformedFormError):
        list(iter_form(io.BytesIO(body), f"multipart/form-data; boundary={boundary}", len(body), LIMITS))


def test_any_split_of_the_body_gives_the_same_events(monkeypatch) -> None:
    """Boundaries, CR/LF pairs and empty parts may fall across reads anywhere."""
    import random

    import portal.intake.multipart as streaming_form

    rng = random.Random(20261125)
    for _ in range(300):
        payload = os.urandom(rng.randint(0, 3000)) + b"\r\n\r\r\n" + rng.choice([b"", b"\r", b"\n", b"--"])
        fields = [
            ("what", "a\r\nb\r"),
            ("f", ("a", payload)),
            ("x", "y\r\n"),
            ("f", ("b", b"\r")),
            ("z", ""),
            ("f", ("c", b"")),
        ]
        body, content_type = _body(fields)
        monkeypatch.setattr(streaming_form, "READ_SIZE", rng.randint(1, 400))
        got_fields, got_files = _collect(iter_form(io.BytesIO(body), content_type, len(body), LIMITS))
        assert got_fields == [("what", "a\nb\r"), ("x", "y\n"), ("z", "")]
        assert got_files == [("a", payload), ("b", b"\r"), ("c", b"")]


def test_the_reader_ends_only_once_the_whole_declared_body_has_arrived() -> None:
    """A complete form under a larger Content-Length, then the end of the stream: the
    upload was interrupted, and the last events are never handed out."""
    body, content_type = _body([("what", "all of it"), ("f", ("a.bin", b"x" * 1000))])
    seen = []
    with pytest.raises(MalformedFormError, match="interrupted"):
        for event in iter_form(io.BytesIO(body), content_type, len(body) + 1000, LIMITS):
            seen.append(event)
    # Nothing after the last read that reached the closing boundary was handed out:
    # the caller never saw the form end, so it cannot have committed it.
    assert not any(isinstance(event, FileEnd) for event in seen)


def test_an_epilogue_within_the_declared_length_is_read_and_dropped() -> None:
    body, content_type = _body([("what", "all of it"), ("f", ("a.bin", b"x" * 1000))])
    padded = body + b"epilogue bytes a client may add" * 10
    fields, files = _collect(iter_form(TrickleStream(padded, 7), content_type, len(padded), LIMITS))
    assert fields == [("what", "all of it")] and files == [("a.bin", b"x" * 1000)]
    # Without a Content-Length the reader reads on to the end of the stream.
    fields, files = _collect(iter_form(io.BytesIO(padded), content_type, None, LIMITS))
    assert files == [("a.bin", b"x" * 1000)]
    # An epilogue is still counted against the body cap.
    with pytest.raises(FormTooLargeError):
        list(iter_form(io.BytesIO(padded), content_type, None, FormLimits(max_body_bytes=len(body) + 10)))
