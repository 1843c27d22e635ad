"""Which URL an <img> really shows, resolved to an absolute http(s) URL.

OBELICS' published pipeline lost images here (document path and <base> ignored, srcset
skipped, lazy-loading placeholders taken for the image), so each rule is explicit:
- the base is `<base href>` (itself resolved against the page URL) or the page URL;
- `srcset` / `data-srcset` (and `<picture><source>`): the largest candidate, by width
  descriptor (`800w`) or else by density (`2x`);
- lazy-loading attributes beat `src`, because `src` is then a placeholder (a spinner GIF or
  a `data:` URI) and the real image sits in `data-src` and friends;
- `data:` URIs and declared 1x1 tracking pixels are skipped, with a reason the caller counts.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from urllib.parse import urljoin, urlparse, urlsplit

# srcset attributes in preference order (lazy first: a lazy page's `srcset` is a placeholder).
SRCSET_ATTRS = ("data-srcset", "data-lazy-srcset", "srcset")
# Lazy-loading conventions of common libraries (lazysizes, jQuery lazyload, WordPress plugins).
LAZY_SRC_ATTRS = (
    "data-src",
    "data-lazy-src",
    "data-original",
    "data-lazy",
    "data-url",
    "data-hi-res-src",
    "data-full-src",
    "data-actualsrc",
    "data-echo",
)
_URL_ATTRS = (*LAZY_SRC_ATTRS, "src")
# <source type=...> we can decode; others (svg, jxl) would fail later, so prefer these.
RASTER_TYPES = ("image/jpeg", "image/jpg", "image/png", "image/webp", "image/gif", "image/avif", "")

SKIP_DATA_URI = "data_uri"
SKIP_TRACKING_PIXEL = "tracking_pixel"
SKIP_NO_URL = "no_url"
SKIP_BAD_SCHEME = "bad_scheme"

_DESCRIPTOR = re.compile(r"^(\d+(?:\.\d+)?)([wx])$", re.IGNORECASE)
_WS = re.compile(r"\s+")
# A srcset candidate after the separators (re's \s is str.isspace, as the spec's tokeniser
# wants): a URL ending in commas (no descriptors), or a URL and its descriptors up to a comma.
# A URL starts at a character that is neither (the separators are all skipped first).
_SRCSET_CANDIDATE = re.compile(r"[\s,]*(?:([^\s,]\S*,)(?!\S)|([^\s,]\S*)([^,]*))")
_DIMENSION = re.compile(r"\s*(\d+(?:\.\d+)?)")


def document_base(page_url: str, base_href: str | None) -> str:
    """The base every relative URL of the page resolves against (HTML's `<base href>` rule)."""
    if base_href and base_href.strip():
        return urljoin(page_url, base_href.strip())
    return page_url


def parse_srcset(value: str) -> list[tuple[str, float, str]]:
    """[(url, size, unit)] with unit "w" or "x"; a candidate without a descriptor is 1x.

    Follows the HTML spec's tokeniser: a URL runs to whitespace (commas inside it are legal,
    e.g. Cloudinary's `w_300,h_200`); a URL ending in commas has no descriptor; descriptors
    run to the next comma. One regex pass (_SRCSET_CANDIDATE); tests/crawlers/html/test_extract_urls.py
    checks it against a step-by-step tokeniser.
    """
    out = []
    for m in _SRCSET_CANDIDATE.finditer(value):
        bare, url, descriptors = m.groups()
        size, unit = 1.0, "x"
        if bare is not None:
            url = bare.rstrip(",")
        else:
            for token in descriptors.split():
                d = _DESCRIPTOR.match(token)
                if d:
                    size, unit = float(d.group(1)), d.group(2).lower()
        out.append((url, size, unit))
    return out


def largest_candidate(candidates: list[tuple[str, float, str]]) -> str | None:
    """Width descriptors win over densities (a `w` candidate states real pixels)."""
    usable = [c for c in candidates if c[0] and not c[0].lower().startswith("data:")]
    if not usable:
        return None
    with_width = [c for c in usable if c[2] == "w"]
    pool = with_width or usable
    return max(pool, key=lambda c: c[1])[0]


def _is_tracking_pixel(attrs: Mapping[str, str]) -> bool:
    def dim(name: str) -> float | None:
        m = _DIMENSION.match(attrs.get(name, "") or "")
        return float(m.group(1)) if m else None

    w, h = dim("width"), dim("height")
    return w is not None and h is not None and w <= 1 and h <= 1


def pick_image_url(attrs: Mapping[str, str], sources: list[Mapping[str, str]] = ()) -> tuple[str | None, str]:
    """(raw URL, attribute it came from) or (None, skip reason); `sources` are <picture> siblings."""
    # Only the attributes the element carries are looked at (a plain <img> has 2-5 of the
    # 15 names below; one lookup each on lxml's attribute proxy costs more than the set).
    present = set(attrs)
    if "width" in present and "height" in present and _is_tracking_pixel(attrs):
        return None, SKIP_TRACKING_PIXEL
    picture_candidates: list[tuple[str, float, str]] = []
    for src in sources:
        if (src.get("type") or "").lower().strip() not in RASTER_TYPES:
            continue
        for name in SRCSET_ATTRS:
            if src.get(name):
                picture_candidates.extend(parse_srcset(src[name]))
                break
    best = largest_candidate(picture_candidates)
    if best:
        return best, "source-srcset"
    if not present.isdisjoint(SRCSET_ATTRS):
        for name in SRCSET_ATTRS:
            if name in present and attrs[name]:
                best = largest_candidate(parse_srcset(attrs[name]))
                if best:
                    return best, name
    saw_data_uri = False
    for name in _URL_ATTRS:
        if name not in present:
            continue
        value = (attrs[name] or "").strip()
        if not value:
            continue
        if value.lower().startswith("data:"):
            saw_data_uri = True
            continue
        return value, name
    return None, SKIP_DATA_URI if saw_data_uri else SKIP_NO_URL


# What _fast_join handles: printable ASCII without the characters that make urllib's parsing
# branch (';' params, '#' fragments, '\\', '[' ']', controls); colons only in a query or after
# an http(s) scheme.
_PLAIN = re.compile(r"[A-Za-z0-9\-._~!$&'()*+,=@%/?:]+\Z")
_ABSOLUTE = re.compile(r"(https?:)?//([A-Za-z0-9\-.]+(?::[0-9]*)?)(?=[/?]|\Z)")


@functools.lru_cache(maxsize=256)  # one page's images share its base
def _base_parts(base: str) -> tuple[str, str, list[str]] | None:
    """(scheme, host, directory segments) as urljoin splits an http(s) base, or None."""
    try:
        parts = urlparse(base)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.params or ";" in base:
        return None
    directory = parts.path.split("/")
    if directory[-1] != "":
        del directory[-1]
    return parts.scheme, parts.netloc, directory


def _fast_join(base: str, raw: str) -> str | None:
    """urljoin(base, raw), the same string, for the shapes image URLs nearly always have
    (relative or host-relative paths, same-scheme or protocol-relative http(s) URLs, a query);
    None for anything else. urljoin re-parses both URLs on every call (~5 us); this is ~1 us.
    tests/crawlers/html/test_extract_urls.py compares the two on generated URL pairs."""
    parts = _base_parts(base)
    if parts is None or not _PLAIN.match(raw):
        return None
    scheme, netloc, directory = parts
    path, mark, query = raw.partition("?")
    if raw.startswith(("//", "http")):
        m = _ABSOLUTE.match(path)
        if m is None:
            return None
        if m.group(1) and m.group(1) != scheme + ":":
            return raw  # another scheme: urljoin returns the URL as it is
        netloc, path = m.group(2), path[m.end() :]
        resolved = path  # urljoin does not resolve dot segments of a URL with a host
    else:
        if not path or ":" in path:  # a scheme, or a colon urllib may read as one
            return None
        if path.startswith("/"):
            segments = path.split("/")
        else:
            segments = directory + path.split("/")
            segments[1:-1] = filter(None, segments[1:-1])
        out: list[str] = []
        for seg in segments:
            if seg == "..":
                if out:
                    out.pop()
            elif seg != ".":
                out.append(seg)
        if segments[-1] in (".", ".."):
            out.append("")
        resolved = "/".join(out) or "/"
        if not resolved.startswith("/"):
            resolved = "/" + resolved
    return f"{scheme}://{netloc}{resolved}?{query}" if query else f"{scheme}://{netloc}{resolved}"


def absolutise(raw: str, base: str) -> str | None:
    """An absolute http(s) URL, or None (javascript:, blob:, mailto:, unparsable)."""
    raw = _WS.sub("%20", raw.strip())  # a literal space is invalid in a URL; browsers encode it
    url = _fast_join(base, raw)
    if url is not None:
        return url
    try:
        url = urljoin(base, raw)
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return url


def resolve_image(
    attrs: Mapping[str, str], base: str, sources: list[Mapping[str, str]] = ()
) -> tuple[str | None, str]:
    """(absolute URL, source attribute) or (None, skip reason) for one <img>."""
    raw, where = pick_image_url(attrs, sources)
    if raw is None:
        return None, where
    url = absolutise(raw, base)
    if url is None:
        return None, SKIP_BAD_SCHEME
    return url, where
