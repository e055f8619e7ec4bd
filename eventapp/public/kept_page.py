"""A page kept once and served to each visitor with values of their own put in (the
registration form's CSRF token and submission key), compressed once.

The page is cut at its stand-ins: the text between two of them is kept as it is and as raw
DEFLATE data, each piece compressed on its own and ended on a byte boundary (a sync flush,
the last one a final block). A request writes the gzip stream out of those pieces with its
own values in between as *stored* (uncompressed) DEFLATE blocks, plus the checksum and length
of what it sends: a valid gzip body (RFC 1951 §3.2.4, RFC 1952) for the cost of a CRC, where
compressing the whole page again for every visitor cost more than the rest of the request.
"""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import Mapping
from dataclasses import dataclass

from flask import Response

from eventapp.export_cache import accepts_gzip

#: gzip member header: DEFLATE, no flags, no modification time, no extra flags, unknown OS.
_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
#: The most a stored block holds.
_STORED_MAX = 0xFFFF


def _stored(data: bytes) -> bytes:
    """``data`` as non-final stored DEFLATE blocks (the stream is on a byte boundary)."""
    blocks = []
    for start in range(0, len(data), _STORED_MAX):
        chunk = data[start : start + _STORED_MAX]
        blocks.append(b"\x00" + struct.pack("<HH", len(chunk), len(chunk) ^ 0xFFFF) + chunk)
    return b"".join(blocks)


def _deflated(data: bytes, final: bool) -> bytes:
    """``data`` as raw DEFLATE blocks that refer to nothing before them, ending on a byte
    boundary (a sync flush), or with the final block."""
    compressor = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush(
        zlib.Z_FINISH if final else zlib.Z_SYNC_FLUSH
    )


@dataclass(frozen=True)
class KeptPage:
    parts: tuple[bytes, ...]  # the page's text between its holes
    holes: tuple[str, ...]  # the name of the value that goes after each part but the last
    deflated: tuple[bytes, ...]  # each part as raw DEFLATE data (see the module's text)

    @classmethod
    def cut(cls, html: str, marks: Mapping[str, str]) -> KeptPage:
        """The page ``html`` cut at its stand-ins; ``marks``: a value's name -> its stand-in."""
        names = {mark: name for name, mark in marks.items()}
        pattern = re.compile("|".join(re.escape(mark) for mark in names))
        parts: list[bytes] = []
        holes: list[str] = []
        start = 0
        for found in pattern.finditer(html):
            parts.append(html[start : found.start()].encode())
            holes.append(names[found.group()])
            start = found.end()
        parts.append(html[start:].encode())
        last = len(parts) - 1
        deflated = tuple(_deflated(part, index == last) for index, part in enumerate(parts))
        return cls(tuple(parts), tuple(holes), deflated)

    def body(self, values: Mapping[str, bytes]) -> bytes:
        pieces = [self.parts[0]]
        for hole, part in zip(self.holes, self.parts[1:], strict=True):
            pieces += (values[hole], part)
        return b"".join(pieces)

    def gzipped(self, values: Mapping[str, bytes]) -> bytes:
        pieces = [_GZIP_HEADER, self.deflated[0]]
        crc = zlib.crc32(self.parts[0])
        size = len(self.parts[0])
        for hole, part, deflated in zip(self.holes, self.parts[1:], self.deflated[1:], strict=True):
            value = values[hole]
            pieces += (_stored(value), deflated)
            crc = zlib.crc32(part, zlib.crc32(value, crc))
            size += len(value) + len(part)
        pieces.append(struct.pack("<II", crc, size & 0xFFFFFFFF))
        return b"".join(pieces)

    def response(self, values: Mapping[str, bytes]) -> Response:
        """The page with these values, gzipped when the client takes it (Flask-Compress
        leaves an answer that has its Content-Encoding alone)."""
        if accepts_gzip():
            response = Response(self.gzipped(values), mimetype="text/html")
            response.headers["Content-Encoding"] = "gzip"
        else:
            response = Response(self.body(values), mimetype="text/html")
        response.vary.add("Accept-Encoding")
        return response
