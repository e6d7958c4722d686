"""Responses from memory: each body compressed once, then served in the
encoding the client accepts (Content-Encoding), with its own ETag, and as a
304 when the client already has it.

A page, fragment or static file never changes once made (an edit under `make
run` makes new ones), so brotli and gzip are paid once, when a body is first
made, never per request.
Per-visitor responses (the contact form) are not compressed at all: they hold
a CSRF token next to text the visitor typed, the shape BREACH attacks.
"""

import functools
import gzip
import hashlib
from dataclasses import dataclass

import brotli
from flask import Response, request
from werkzeug.http import parse_accept_header

COMPRESSIBLE = ("text/", "application/javascript", "application/json", "application/xml", "image/svg+xml")


@dataclass(frozen=True)
class Encoded:
    identity: bytes
    br: bytes | None
    gzip: bytes | None
    etag: str

    def choose(self, accept_encoding: str | None) -> tuple[str | None, bytes]:
        """The best encoding an Accept-Encoding header allows, and the body in it."""
        br, gz = accepted_encodings(accept_encoding)
        if self.br is not None and br:
            return "br", self.br
        if self.gzip is not None and gz:
            return "gzip", self.gzip
        return None, self.identity


@functools.lru_cache(maxsize=256)  # a handful of distinct headers come from real browsers
def accepted_encodings(accept_encoding: str | None) -> tuple[bool, bool]:
    """(brotli acceptable, gzip acceptable), honouring q=0 and *."""
    accepted = parse_accept_header(accept_encoding)
    return bool(accepted["br"]), bool(accepted["gzip"])


def worth_compressing(body: bytes, content_type: str) -> bool:
    return content_type.startswith(COMPRESSIBLE) and len(body) >= 512


def gzipped(body: bytes, content_type: str) -> bytes | None:
    """The gzip copy of a body, or None when it would not be smaller."""
    if not worth_compressing(body, content_type):
        return None
    gz = gzip.compress(body, compresslevel=9, mtime=0)
    return gz if len(gz) < len(body) else None


def encode(body: bytes, content_type: str) -> Encoded:
    etag = hashlib.blake2b(body, digest_size=12).hexdigest()
    if not worth_compressing(body, content_type):
        return Encoded(body, None, None, etag)
    br = brotli.compress(body, quality=11)
    return Encoded(body, br if len(br) < len(body) else None, gzipped(body, content_type), etag)


def respond(encoded: Encoded, content_type: str, cache_control: str) -> Response:
    """A response from memory: chosen encoding, its own ETag, answered 304 when unchanged."""
    encoding, body = encoded.choose(request.headers.get("Accept-Encoding"))
    response = Response(body, content_type=content_type)
    if encoding:
        response.headers["Content-Encoding"] = encoding
    if encoded.br is not None or encoded.gzip is not None:
        response.vary.add("Accept-Encoding")
    # Each encoding is a different byte sequence, so it needs its own strong ETag.
    response.set_etag(f"{encoded.etag}-{encoding}" if encoding else encoded.etag)
    response.headers["Cache-Control"] = cache_control
    return response.make_conditional(request)
