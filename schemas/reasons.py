"""Why an input did not become a sample, and where that was decided: two enums every stage shares.

Values are stable strings (they land in parquet rejects tables and stats JSON), so members
may be added but never renamed. `RETRYABLE` lists the reasons a `--retry-failed` run
fetches again: transient network outcomes, not decisions about the content.
"""

from __future__ import annotations

import enum


class Stage(str, enum.Enum):
    """Where a reject was decided. IMAGE marks one image slot removed from a kept M3W page: it is
    reported, but not counted against the page inputs (conservation is per page)."""

    READ = "read"  # the input itself: a bad row, a WARC problem, a repeated key
    FETCH = "fetch"
    DECODE = "decode"
    PROBE = "probe"  # a video's container and duration
    WINDOW = "window"  # choosing a video's clip window
    EXTRACT = "extract"  # HTML -> Document
    FILTER = "filter"
    IMAGE = "image"
    DEDUP = "dedup"
    DECONTAMINATE = "decontaminate"

    def __str__(self) -> str:
        return self.value

    @classmethod
    def parse(cls, value: str | Stage) -> Stage:
        """The member for `value`; an unknown value is an error that lists the valid ones."""
        if isinstance(value, cls):
            return value
        try:
            return cls(value)
        except ValueError:
            raise ValueError(
                f"unknown reject stage {value!r}; valid stages: {', '.join(m.value for m in cls)}"
            ) from None


class RejectReason(str, enum.Enum):
    # -- input rows ---------------------------------------------------------------------------
    MISSING_URL = "missing_url"
    INVALID_URL = "invalid_url"
    UNSUPPORTED_SCHEME = "unsupported_scheme"
    EMPTY_CAPTION = "empty_caption"
    MALFORMED_ROW = "malformed_row"
    MALFORMED_RECORD = "malformed_record"
    # -- fetching -----------------------------------------------------------------------------
    TIMEOUT = "timeout"
    CONNECTION_ERROR = "connection_error"
    CONNECTION_REFUSED = "connection_refused"  # nothing listens there now: not retried at once
    DNS_ERROR = "dns_error"
    HTTP_404 = "http_404"
    HTTP_4XX = "http_4xx"
    HTTP_429 = "http_429"
    HTTP_5XX = "http_5xx"
    TOO_MANY_REDIRECTS = "too_many_redirects"
    TOO_LARGE = "too_large"
    TRUNCATED = "truncated"
    NOT_IN_ARCHIVE = "not_in_archive"  # an image a page shows is not among the WARC's records
    OPTED_OUT = "opted_out"
    ROBOTS_DISALLOWED = "robots_disallowed"
    PRIVATE_ADDRESS = "private_address"
    SOURCE_NOT_ALLOWED = "source_not_allowed"  # a local path or bucket object outside the allowed roots
    # -- decoding -----------------------------------------------------------------------------
    NOT_AN_IMAGE = "not_an_image"
    UNDECODABLE = "undecodable"
    DECOMPRESSION_BOMB = "decompression_bomb"
    UNSUPPORTED_FORMAT = "unsupported_format"
    NOT_HTML = "not_html"
    NOT_A_VIDEO = "not_a_video"
    NO_VIDEO_STREAM = "no_video_stream"
    FFMPEG_ERROR = "ffmpeg_error"
    # -- filters ------------------------------------------------------------------------------
    IMAGE_TOO_SMALL = "image_too_small"
    IMAGE_TOO_LARGE = "image_too_large"
    ASPECT_RATIO = "aspect_ratio"
    SINGLE_COLOUR = "single_colour"
    LOGO_URL = "logo_url"
    TOO_FEW_IMAGES = "too_few_images"
    TOO_MANY_IMAGES = "too_many_images"
    TEXT_QUALITY = "text_quality"
    TEXT_REPETITION = "text_repetition"
    LANGUAGE = "language"
    VIDEO_TOO_SHORT = "video_too_short"
    VIDEO_TOO_LONG = "video_too_long"
    VIDEO_TOO_SMALL = "video_too_small"
    VIDEO_TOO_LARGE = "video_too_large"
    VIDEO_STATIC = "video_static"
    UNSAFE = "unsafe"
    NO_CONTENT = "no_content"
    # -- dedup --------------------------------------------------------------------------------
    DUPLICATE_EXACT = "duplicate_exact"
    DUPLICATE_PERCEPTUAL = "duplicate_perceptual"
    DUPLICATE_NEAR = "duplicate_near"
    OVER_FREQUENT = "over_frequent"
    EVAL_CONTAMINATION = "eval_contamination"
    # -- anything else ------------------------------------------------------------------------
    INTERNAL_ERROR = "internal_error"

    def __str__(self) -> str:  # so f"{reason}" gives the stable value
        return self.value

    @property
    def retryable(self) -> bool:
        return self in RETRYABLE

    @classmethod
    def parse(cls, value: str | RejectReason) -> RejectReason:
        """The member for `value`; an unknown value is an error that lists the valid ones."""
        if isinstance(value, cls):
            return value
        try:
            return cls(value)
        except ValueError:
            valid = ", ".join(m.value for m in cls)
            raise ValueError(f"unknown reject reason {value!r}; valid reasons: {valid}") from None


RETRYABLE = frozenset(
    {
        RejectReason.TIMEOUT,
        RejectReason.CONNECTION_ERROR,
        RejectReason.CONNECTION_REFUSED,
        RejectReason.DNS_ERROR,
        RejectReason.HTTP_429,
        RejectReason.HTTP_5XX,
        RejectReason.TRUNCATED,
    }
)
