"""Bytes of an HTML page -> text: BOM, declared charset, <meta> charset, then detection.

The order follows the WHATWG encoding sniffing algorithm (BOM > transport header > <meta>
prescan of the first 1024 bytes), with one departure that web-scale extractors make: a
declaration is only trusted if the bytes decode under it. Pages labelled UTF-8 that are
really cp1252 (and the reverse: labelled ISO-8859-1 but valid multi-byte UTF-8) are common
in crawls, and a browser's answer there is mojibake, which is worse training text.
"""

from __future__ import annotations

import codecs
import logging
import re

from charset_normalizer import from_bytes

log = logging.getLogger(__name__)

# WHATWG: the prescan looks at the first 1024 bytes; pages with long <head> scripts put the
# <meta> later, so we look a little further (4 KiB) at negligible cost.
PRESCAN_BYTES = 4096
# Detection reads at most this much; charset_normalizer's cost grows with input size.
DETECT_BYTES = 64 * 1024
CHAOS_TIE = 0.02  # charset_normalizer's mess ratio: within this, candidates are equally clean

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:\-]+)""", re.IGNORECASE)
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# WHATWG maps these labels to windows-1252 (a superset): browsers decode them so, and so do we.
_ALIASES = {
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "iso8859-1": "cp1252",
    "l1": "cp1252",
}
_SINGLE_BYTE = {"cp1252", "iso8859-15", "cp1250", "cp1251", "koi8-r", "iso8859-2"}


def normalise_label(label: str | bytes | None) -> str | None:
    """A Python codec name for a charset label, or None when the label is unknown."""
    if not label:
        return None
    if isinstance(label, bytes):
        label = label.decode("ascii", "replace")
    label = label.strip().strip("\"'").lower()
    label = _ALIASES.get(label, label)
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def charset_from_content_type(value: str | None) -> str | None:
    """The charset parameter of a Content-Type header value, as a codec name."""
    if not value:
        return None
    m = re.search(r"charset\s*=\s*[\"']?([^\s;\"']+)", value, re.IGNORECASE)
    return normalise_label(m.group(1)) if m else None


def meta_charset(data: bytes) -> str | None:
    m = _META_CHARSET.search(data[:PRESCAN_BYTES])
    return normalise_label(m.group(1)) if m else None


def _decodes(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def _looks_like_multibyte_utf8(data: bytes) -> bool:
    """Valid UTF-8 that is not plain ASCII: a single-byte label on it is almost surely wrong."""
    if data.isascii():
        return False
    return _decodes(data, "utf-8") is not None


def decode_html(data: bytes, declared: str | None = None) -> tuple[str, str]:
    """(text, encoding used). `declared` is the transport's charset (HTTP header), if any.

    Never raises on bad bytes: the last resort decodes UTF-8 with replacement characters.
    """
    for bom, enc in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(enc, "replace"), enc
    for label in (normalise_label(declared), meta_charset(data)):
        if label is None:
            continue
        if label in _SINGLE_BYTE and _looks_like_multibyte_utf8(data):
            log.debug("declared %s but bytes are valid UTF-8; decoding as UTF-8", label)
            return data.decode("utf-8"), "utf-8"
        text = _decodes(data, label)
        if text is not None:
            return text, label
        log.debug("declared charset %s does not decode these bytes; detecting", label)
    text = _decodes(data, "utf-8")
    if text is not None:
        return text, "utf-8"
    matches = list(from_bytes(data[:DETECT_BYTES]))
    if matches:
        # Short pages leave the detector unsure between single-byte code pages that decode
        # equally cleanly; windows-1252 is by far the web's most common of them, so it wins ties.
        best = min(matches, key=lambda m: m.chaos)
        tied = [m for m in matches if m.chaos <= best.chaos + CHAOS_TIE]
        chosen = next((m for m in tied if normalise_label(m.encoding) == "cp1252"), best)
        enc = normalise_label(chosen.encoding) or "utf-8"
        return data.decode(enc, "replace"), enc
    return data.decode("utf-8", "replace"), "utf-8"
