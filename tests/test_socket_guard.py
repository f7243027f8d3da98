"""The test suite itself never leaves the machine: a hidden download must fail the test."""

from __future__ import annotations

import socket

import httpx
import pytest


def test_connecting_beyond_loopback_fails() -> None:
    with socket.socket() as sock, pytest.raises(RuntimeError, match="tests never leave"):
        sock.connect(("93.184.216.34", 80))


def test_resolving_a_public_name_fails() -> None:
    with pytest.raises(socket.gaierror, match="tests never leave"):
        socket.getaddrinfo("example.org", 443)


def test_an_http_request_to_the_internet_fails() -> None:
    with pytest.raises(httpx.ConnectError):
        httpx.get("https://example.org/", timeout=2)
