"""Misbehaving HTTP servers on 127.0.0.1 for the fault tests (slow, silent, drip-feeding).

One scaffold for all of them: `loopback_server(serve, path)` listens on a free loopback port,
hands every accepted connection to `serve(conn, stop)` in its own thread, yields the URL, and on
exit stops the threads, closes every connection and the listener. `serve=None` holds each
connection open and never reads or answers (a server that hangs). Traffic stays on loopback and
every server stops by itself when the test ends.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

Serve = Callable[[socket.socket, threading.Event], None]


@contextmanager
def loopback_server(serve: Serve | None, path: str = "/fhir") -> Iterator[str]:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    listener.settimeout(0.2)
    stop = threading.Event()
    accepted: list[socket.socket] = []

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            accepted.append(conn)
            if serve is not None:
                threading.Thread(target=serve, args=(conn, stop), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}{path}"
    finally:
        stop.set()
        thread.join(timeout=5)
        for conn in accepted:
            conn.close()
        listener.close()
