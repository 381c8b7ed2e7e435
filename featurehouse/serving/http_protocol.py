"""uvicorn's httptools protocol with a limit on the size of a request's head (request line
and headers). httptools sets none, and uvicorn's own limit (``h11_max_incomplete_event_size``)
applies only to its h11 parser: without this, one unauthenticated request could make the
server buffer any amount of headers. ``featurehouse serve`` runs with it."""

from __future__ import annotations

import json

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

MAX_HEADER_BYTES = 64 * 1024  # browsers and proxies stay far below (nginx: 8 KiB a line)


class HeaderLimitedHttpToolsProtocol(HttpToolsProtocol):
    """Answers 431 and closes the connection when a request's head exceeds
    ``max_header_bytes``. The bytes received while a head is incomplete are counted, so
    memory stays bounded whatever the client sends."""

    max_header_bytes = MAX_HEADER_BYTES
    _reading_head = True
    _head_bytes = 0

    def data_received(self, data: bytes) -> None:
        if self._reading_head:
            self._head_bytes += len(data)
        super().data_received(data)
        # Checked after parsing: a chunk that completes the head (with some body) is fine.
        if (
            self._reading_head
            and self._head_bytes > self.max_header_bytes
            and not self.transport.is_closing()
        ):
            self._refuse_head()

    def on_headers_complete(self) -> None:
        self._reading_head = False
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._reading_head, self._head_bytes = True, 0  # the next request on this connection

    def _refuse_head(self) -> None:
        message = f"the request's headers are larger than {self.max_header_bytes} bytes"
        self.logger.warning("refused a request: %s", message)
        body = json.dumps(
            {
                "error": {
                    "type": "HeadersTooLarge",
                    "message": message,
                    "field": None,
                    "expected": self.max_header_bytes,
                    "received": None,
                }
            }
        ).encode()
        head = [
            STATUS_LINE[431],
            b"content-type: application/json\r\n",
            b"content-length: " + str(len(body)).encode() + b"\r\n",
            b"connection: close\r\n\r\n",
        ]
        self.transport.write(b"".join(head) + body)
        self.transport.close()
