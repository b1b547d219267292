"""A loopback TCP proxy that records every byte a browser sends to the portal.

The browser talks to the proxy (its origin is the proxy's address); each connection
is piped to the live gunicorn unchanged, and the client-to-server bytes — request
lines, headers and bodies, exactly as the server receives them — are kept, in order
per connection, in a spool file (a 100 MB upload is not held in memory). Tests then
search them: "the server received none of these bytes".
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

PIECE = 256 * 1024


class RecordingProxy:
    def __init__(self, upstream_port: int, spool_dir: Path) -> None:
        self.upstream = ("127.0.0.1", upstream_port)
        self.spool_dir = spool_dir
        spool_dir.mkdir(parents=True, exist_ok=True)
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self.port: int = self._listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._lock = threading.Lock()
        self._connections = 0
        self._threads: list[threading.Thread] = []
        self._closed = False
        self._accepter = threading.Thread(target=self._accept, daemon=True)
        self._accepter.start()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _address = self._listener.accept()
            except OSError:
                return
            with self._lock:
                number = self._connections
                self._connections += 1
            try:
                server = socket.create_connection(self.upstream)
            except OSError:
                client.close()
                continue
            spool = self.spool_dir / f"connection-{number:05d}.bin"
            for target in (
                threading.Thread(target=self._pipe, args=(client, server, spool), daemon=True),
                threading.Thread(target=self._pipe, args=(server, client, None), daemon=True),
            ):
                self._threads.append(target)
                target.start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket, spool: Path | None) -> None:
        record = open(spool, "ab") if spool is not None else None  # noqa: SIM115 - closed below
        try:
            while True:
                try:
                    data = source.recv(PIECE)
                except OSError:
                    break
                if not data:
                    break
                if record is not None:
                    record.write(data)
                    record.flush()
                try:
                    sink.sendall(data)
                except OSError:
                    break
        finally:
            if record is not None:
                record.close()
            for sock in (sink, source):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def recordings(self) -> Iterator[Path]:
        return iter(sorted(self.spool_dir.glob("connection-*.bin")))

    def recorded_bytes_total(self) -> int:
        return sum(path.stat().st_size for path in self.recordings())

    def find(self, needle: bytes) -> list[str]:
        """Recordings that contain `needle` (searched in overlapping windows)."""
        found = []
        for path in self.recordings():
            with open(path, "rb") as handle:
                tail = b""
                while True:
                    block = handle.read(8 * 1024 * 1024)
                    if not block:
                        break
                    if needle in tail + block:
                        found.append(path.name)
                        break
                    tail = block[-(len(needle) - 1) :] if len(needle) > 1 else b""
        return found

    def saw_request(self, method: str, path: str) -> bool:
        """Whether the browser sent a request line `METHOD path HTTP/1.1`."""
        return bool(self.find(f"{method} {path} HTTP/1.1\r\n".encode()))

    def close(self) -> None:
        self._closed = True
        try:
            self._listener.close()
        except OSError:
            pass

    def __enter__(self) -> RecordingProxy:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
