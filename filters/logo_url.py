"""Image URLs that mark logos, icons and buttons: LogoUrlFilter.

M3W-style crawls are full of site chrome; its URLs say so (`/img/logo.png`, `icons/twitter.svg`).
A marker matches in the lowercased URL path where it starts a word, i.e. is not preceded by a
letter: `site_logo.png` and `/icons/` match, `silicon.jpg` does not. `sitelogo.png` is missed,
a deliberate trade of recall for precision.
"""

from __future__ import annotations

import dataclasses
import re
from urllib.parse import urlsplit

from filters.base import Reject, register
from filters.image_filter import ImageFilter
from filters.samples import ImageSample
from schemas import RejectReason

DEFAULT_MARKERS = (
    "logo",
    "icon",
    "favicon",
    "button",
    "btn",
    "sprite",
    "banner",
    "badge",
    "avatar",
    "spacer",
)


@register("logo_url")
@dataclasses.dataclass(frozen=True, kw_only=True)
class LogoUrlFilter(ImageFilter):
    markers: tuple[str, ...] = DEFAULT_MARKERS

    def __post_init__(self) -> None:
        alternatives = "|".join(re.escape(m.lower()) for m in self.markers)
        object.__setattr__(
            self, "_pattern", re.compile(rf"(?<![a-z])({alternatives})") if self.markers else None
        )

    def check_image(self, image: ImageSample) -> Reject | None:
        if self._pattern is None or not image.url:
            return None
        match = self._pattern.search(urlsplit(image.url).path.lower())
        if match:
            return Reject(RejectReason.LOGO_URL, f"url path contains {match.group(1)!r}")
        return None
