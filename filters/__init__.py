"""Plain-Python keep/drop decisions over schema objects, and dedup signatures (no Beam).

    from filters import build_chain, Keep, Reject
    chain = build_chain("filters.yaml" or None, kind="pair")   # None: the paper's defaults
    verdict = chain.filter(sample)                              # Keep | Reject(reason, detail)

Beam jobs wrap a chain with `pipeline.steps.filtering.ApplyFilters`.
"""

from filters import (  # noqa: F401  (importing registers each filter)
    aspect_ratio,
    image_count,
    image_format,
    image_size,
    language,
    logo_url,
    safety,
    single_colour,
    text_quality,
    text_repetition,
    video_duration,
    video_resolution,
    video_static,
)
from filters.aspect_ratio import AspectRatioFilter
from filters.base import (
    FILTERS,
    KEEP,
    KINDS,
    Dropped,
    Filter,
    Keep,
    Reject,
    build_filter,
    filter_params,
    register,
)
from filters.chain import ChainResult, FilterChain, build_chain, load_filter_config
from filters.defaults import DEFAULT_CHAINS, default_config
from filters.image_count import ImageCountFilter
from filters.image_format import ImageFormatFilter
from filters.image_size import ImageSizeFilter
from filters.language import LanguageFilter, identify_language
from filters.logo_url import LogoUrlFilter
from filters.safety import SafetyFilter
from filters.samples import (
    DecodedVideo,
    ImageSample,
    UndecodableImage,
    images_of,
    sample_key,
    sample_source,
    text_of,
)
from filters.single_colour import SingleColourFilter
from filters.text_filter import TextFilter
from filters.text_quality import TextQualityFilter
from filters.text_repetition import TextRepetitionFilter
from filters.video_duration import VideoDurationFilter
from filters.video_resolution import VideoResolutionFilter
from filters.video_static import VideoStaticFilter

__all__ = [
    "DEFAULT_CHAINS",
    "FILTERS",
    "KEEP",
    "KINDS",
    "AspectRatioFilter",
    "ChainResult",
    "Dropped",
    "Filter",
    "FilterChain",
    "ImageCountFilter",
    "ImageFormatFilter",
    "ImageSample",
    "ImageSizeFilter",
    "Keep",
    "LanguageFilter",
    "LogoUrlFilter",
    "Reject",
    "SafetyFilter",
    "SingleColourFilter",
    "TextFilter",
    "TextQualityFilter",
    "TextRepetitionFilter",
    "UndecodableImage",
    "VideoDurationFilter",
    "VideoResolutionFilter",
    "DecodedVideo",
    "VideoStaticFilter",
    "build_chain",
    "build_filter",
    "default_config",
    "filter_params",
    "identify_language",
    "images_of",
    "load_filter_config",
    "register",
    "sample_key",
    "sample_source",
    "text_of",
]
