"""A TCP proxy on loopback that cuts connections at random byte offsets, in either direction
(SECURITY.md item 4). TLS passes through it untouched; the client's pin is the server's."""

from __future__ import annotations

import contextlib
import random
import socket
import struct
import threading


class CuttingProxy:
    def __init__(self, upstream_port: int, seed: int = 4, max_bytes: int = 40_000) -> None:
        self.upstream_port = upstream_port
        self.random = random.Random(seed)
        self.max_bytes = max_bytes
        self.cutting = True
        self.cuts = 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self._lock = threading.Lock()
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def close(self) -> None:
        self._closed = True
        with contextlib.suppress(OSError):
            self.listener.close()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _addr = self.listener.accept()
            except OSError:
                return
            with self._lock:
                budget = self.random.randint(0, self.max_bytes) if self.cutting else -1
            threading.Thread(target=self._serve, args=(client, budget), daemon=True).start()

    def _serve(self, client: socket.socket, budget: int) -> None:
        try:
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
        except OSError:
            client.close()
            return
        for sock in (client, upstream):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        state = {"left": budget}
        lock = threading.Lock()

        def cut() -> None:
            for sock in (client, upstream):
                with contextlib.suppress(OSError):
                    # Abrupt (no lingering), and shut down first: closing alone would not wake
                    # the other direction's thread blocked in recv, and the peer would wait.
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    sock.shutdown(socket.SHUT_RDWR)
                with contextlib.suppress(OSError):
                    sock.close()

        def pump(src: socket.socket, dst: socket.socket) -> None:
            try:
                while True:
                    data = src.recv(4096)
                    if not data:
                        break
                    with lock:
                        if state["left"] >= 0:
                            if len(data) > state["left"]:
                                data = data[:state["left"]]
                                state["left"] = 0
                                if data:
                                    dst.sendall(data)
                                self.cuts += 1
                                cut()
                                return
                            state["left"] -= len(data)
                    dst.sendall(data)
            except OSError:
                pass
            with contextlib.suppress(OSError):
                dst.shutdown(socket.SHUT_WR)

        threading.Thread(target=pump, args=(upstream, client), daemon=True).start()
        pump(client, upstream)
