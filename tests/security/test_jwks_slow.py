"""A slow or drip-feeding JWKS endpoint cannot stall token verification (review item 3).

Before: a refetch (triggered by any forged kid) held the issuer's lock during network I/O, and
the deadline was checked only between 8 KiB chunks, so an endpoint sending one byte at a time
blocked key_for (and every caller of that issuer, valid kids included) for as long as it liked.
Local servers on 127.0.0.1 play the endpoint; each stops by itself after DRIP_FOR_S.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from cds_hooks.security.jwks import JwksCache, TrustedIssuer
from tests.support.jwt import new_ec_key
from tests.support.loopback import loopback_server

DRIP_FOR_S = 15.0  # the servers give up after this; every bound below is far shorter
JOIN_S = 8.0  # how long a test waits for key_for before calling it stuck (deadline is 1 s)


def _drip_server(first: bytes, drip: bytes) -> Iterator[str]:
    def serve(conn: socket.socket, stop: threading.Event) -> None:
        ends = time.monotonic() + DRIP_FOR_S
        try:
            conn.recv(4096)
            conn.sendall(first)
            while not stop.is_set() and time.monotonic() < ends:
                conn.sendall(drip)
                time.sleep(0.05)
        except OSError:
            pass
        finally:
            conn.close()

    with loopback_server(serve, "/jwks.json") as url:
        yield url


@pytest.fixture
def drip_body_server() -> Iterator[str]:
    """Answers 200 with a large Content-Length, then one space every 50 ms."""
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n"
    yield from _drip_server(head, b" ")


@pytest.fixture
def drip_header_server() -> Iterator[str]:
    """Sends its status line, then header bytes one every 50 ms, never ending the headers."""
    yield from _drip_server(b"HTTP/1.1 200 OK\r\nX-Slow: ", b"a")


def run_bounded(call: Callable[[], object]) -> tuple[bool, object]:
    """(returned, result): whether ``call`` returned within JOIN_S."""
    result: dict[str, object] = {}
    thread = threading.Thread(target=lambda: result.setdefault("value", call()), daemon=True)
    thread.start()
    thread.join(JOIN_S)
    return not thread.is_alive(), result.get("value")


def cache() -> JwksCache:
    return JwksCache(connect_timeout=0.5, read_timeout=0.5)


@pytest.mark.parametrize("server", ["drip_body_server", "drip_header_server"])
def test_drip_feeding_jwks_endpoint_is_cut_off_at_the_deadline(request, server):
    url = request.getfixturevalue(server)
    issuer = TrustedIssuer(iss="https://drip.example", jwks_url=url)
    returned, key = run_bounded(lambda: cache().key_for(issuer, "forged-kid"))
    assert returned, "key_for still blocked by a drip-feeding JWKS endpoint"
    assert key is None


def test_known_kid_never_waits_for_a_refetch_in_flight(drip_body_server):
    """A forged kid starts a refetch against the slow endpoint; meanwhile a token with a known
    kid is answered from the cache at once (the fetch is still running when it returns)."""
    known = new_ec_key("known-1")
    jwks = JwksCache(connect_timeout=0.5, read_timeout=3.0)
    issuer = TrustedIssuer(iss="https://drip.example", jwks_url=drip_body_server)
    entry = jwks._entry(issuer.iss)
    entry.keys = {"known-1": known}
    entry.fetched_at = time.monotonic()

    forged = threading.Thread(target=lambda: jwks.key_for(issuer, "forged"), daemon=True)
    forged.start()
    for _ in range(500):  # wait (bounded) until the forged kid's fetch is in flight
        if not entry.idle.is_set():
            break
        time.sleep(0.01)
    assert not entry.idle.is_set(), "the forged kid did not start a refetch"

    assert jwks.key_for(issuer, "known-1") is known
    assert not entry.idle.is_set()  # answered while the refetch was still running
    forged.join(JOIN_S)
    assert not forged.is_alive()
    assert jwks.key_for(issuer, "known-1") is known  # a failed refresh keeps the keys


def test_one_refetch_at_a_time_per_issuer(drip_body_server):
    """Several forged kids at once: one fetch in flight, the others wait for it (bounded)."""
    jwks = cache()
    issuer = TrustedIssuer(iss="https://drip.example", jwks_url=drip_body_server)
    fetches: list[str] = []
    real_fetch = jwks._fetch

    def counting_fetch(url: str, deadline: float):
        fetches.append(url)
        return real_fetch(url, deadline)

    jwks._fetch = counting_fetch  # type: ignore[method-assign]
    threads = [
        threading.Thread(target=lambda i=i: jwks.key_for(issuer, f"forged-{i}"), daemon=True)
        for i in range(6)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(JOIN_S)
    assert not any(thread.is_alive() for thread in threads)
    assert len(fetches) == 1


def test_the_jwks_session_ignores_proxy_and_ca_settings_from_the_environment():
    assert JwksCache()._session.trust_env is False
