"""Streaming data for Flamingo: WebDataset shards -> tokenised, masked, collated batches.

Public: `make_loader` (one dataset), `Mixture` (the datasets of a training step),
`collate`, the per-dataset `PIPELINES`, and the errors a pipeline raises.
"""

from flamingo.data.collate import collate
from flamingo.data.errors import EmptyPipelineError, ErrorCounts, SampleError
from flamingo.data.loader import StreamingLoader, make_loader
from flamingo.data.mixture import Mixture
from flamingo.data.pipelines import PIPELINES, build_pipeline
from flamingo.data.split import Consumer, Position, expand_urls

__all__ = [
    "PIPELINES",
    "Consumer",
    "EmptyPipelineError",
    "ErrorCounts",
    "Mixture",
    "Position",
    "SampleError",
    "StreamingLoader",
    "build_pipeline",
    "collate",
    "expand_urls",
    "make_loader",
]
