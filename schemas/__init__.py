"""The data contracts every stage shares. Small, and free of I/O."""

from schemas.arrow import (
    DOCUMENT_SCHEMA,
    IMAGE_TEXT_PAIR_SCHEMA,
    REJECT_SCHEMA,
    VIDEO_TEXT_PAIR_SCHEMA,
    from_table,
    to_table,
)
from schemas.document import Document, ImageRef
from schemas.keys import bucket_of, digest_hex, key_hash, keys_digest, stable_key, url_key, warc_key
from schemas.pairs import ImageTextPair, VideoTextPair
from schemas.reasons import RETRYABLE, RejectReason, Stage
from schemas.record import Record, SchemaError
from schemas.samples import SAMPLE_TYPES, M3WSample, MediaFile, PairSample, VideoSample, decode_sample
from schemas.shard import RejectRecord, ShardSample

__all__ = [
    "DOCUMENT_SCHEMA",
    "IMAGE_TEXT_PAIR_SCHEMA",
    "REJECT_SCHEMA",
    "RETRYABLE",
    "SAMPLE_TYPES",
    "VIDEO_TEXT_PAIR_SCHEMA",
    "Document",
    "ImageRef",
    "ImageTextPair",
    "M3WSample",
    "MediaFile",
    "PairSample",
    "Record",
    "RejectReason",
    "RejectRecord",
    "SchemaError",
    "ShardSample",
    "Stage",
    "VideoSample",
    "VideoTextPair",
    "bucket_of",
    "decode_sample",
    "digest_hex",
    "key_hash",
    "keys_digest",
    "from_table",
    "stable_key",
    "to_table",
    "url_key",
    "warc_key",
]
