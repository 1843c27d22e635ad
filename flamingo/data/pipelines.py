"""Per-dataset pipelines: one raw shard sample -> an `Example` (token ids, labels, media).

- pairs (ALIGN/LTIP): `<image>{caption}<|endofchunk|>`, media [1, 1, C, H, W];
- videos (VTP): the same text, media [1, T, C, H, W] with T frames picked evenly from the clip;
- m3w: the document's texts and images interleaved, each text chunk paired with the previous
  image or (p = 1/2, the paper's M3W recipe) the next one, then a random window of at most
  `max_length` tokens (paper: 256) holding at most `max_images` images (paper: 5).
The registry `PIPELINES` maps a dataset kind to its class; an unknown kind is an error.
"""

from __future__ import annotations

from random import Random

import torch

from flamingo.data.errors import SampleError
from flamingo.data.media import IMAGE_EXTS, ImageTransform, find_image_member
from flamingo.data.tar_reader import RawSample
from flamingo.data.tokens import IGNORE, Example, TextEncoder
from schemas import M3WSample, SchemaError, ShardSample
from schemas.samples import parse_indexed_member


class Pipeline:
    """Base: holds the text encoder and image transform; subclasses implement `__call__`."""

    kind = ""
    uses_rng = False  # only M3W draws (window, previous/next image); others get rng=None

    def __init__(
        self,
        *,
        encoder: TextEncoder,
        image: ImageTransform,
        max_length: int = 256,
        template: str = "{caption}",
    ):
        self.encoder, self.image, self.max_length, self.template = encoder, image, max_length, template

    def __call__(self, sample: RawSample, rng: Random | None) -> Example:
        raise NotImplementedError

    def _caption(self, sample: RawSample) -> str:
        data = sample.members.get("txt")
        if data is None:
            raise SampleError("missing_member", f"{sample.key} in {sample.url} has no .txt caption")
        try:
            caption = data.decode("utf-8").strip()
        except UnicodeDecodeError as exc:
            raise SampleError("bad_text", f"{sample.key}: caption is not UTF-8 ({exc})") from exc
        if not caption:
            raise SampleError("empty_text", f"{sample.key} in {sample.url} has an empty caption")
        return caption

    def _chunk_example(self, sample: RawSample, media: torch.Tensor) -> Example:
        enc = self.encoder
        text = f"{enc.media_token}{self.template.format(caption=self._caption(sample))}{enc.eoc_token}"
        ids = enc.encode(text)[: self.max_length]
        return Example(key=sample.key, input_ids=ids, labels=enc.labels_for(ids), media=media)


class PairsPipeline(Pipeline):
    kind = "pairs"

    def __call__(self, sample: RawSample, rng: Random) -> Example:
        name = find_image_member(sample.members)
        if name is None:
            raise SampleError("missing_member", f"{sample.key} in {sample.url} has no image member")
        pixels = self.image(sample.members[name], f"{sample.url}:{sample.key}.{name}")
        return self._chunk_example(sample, pixels[None, None])  # [1, 1, C, H, W]


class VideosPipeline(Pipeline):
    kind = "videos"

    def __init__(self, *, num_frames: int, **kwargs):
        super().__init__(**kwargs)
        if num_frames < 1:
            raise ValueError(f"num_frames must be >= 1, got {num_frames}")
        self.num_frames = num_frames

    def __call__(self, sample: RawSample, rng: Random) -> Example:
        frames = sorted(
            (parsed[0], name)
            for name in sample.members
            if (parsed := parse_indexed_member(name)) is not None and parsed[1] in IMAGE_EXTS
        )
        if not frames:
            raise SampleError("missing_member", f"{sample.key} in {sample.url} has no frames KEY.000.jpg ...")
        # T frames spread evenly over the clip; a clip shorter than T repeats frames, so every
        # video in a batch has the same T (the resampler's time embeddings index 0..T-1).
        n, t = len(frames), self.num_frames
        picks = [round(i * (n - 1) / max(t - 1, 1)) for i in range(t)]
        where = f"{sample.url}:{sample.key}"
        decoded = {i: self.image(sample.members[frames[i][1]], where) for i in sorted(set(picks))}
        media = torch.stack([decoded[i] for i in picks])[None]  # [1, T, C, H, W]
        return self._chunk_example(sample, media)


class M3WPipeline(Pipeline):
    kind = "m3w"
    uses_rng = True

    def __init__(self, *, max_images: int = 5, p_next: float = 0.5, **kwargs):
        super().__init__(**kwargs)
        self.max_images, self.p_next = max_images, p_next

    def _blocks(self, sample: RawSample) -> tuple[list[str | int], list[bytes]]:
        """The document as text strings and image indices, and the images' bytes (the shard
        codec, schemas/samples.py, maps each image slot to its member)."""
        if "json" not in sample.members:
            raise SampleError("missing_member", f"{sample.key} in {sample.url} has no .json document")
        try:
            page = M3WSample.from_shard(ShardSample(sample.key, sample.members, {}), lenient=True)
        except SchemaError as exc:
            raise SampleError("bad_json", f"{sample.key} in {sample.url}: {exc}") from exc
        doc = page.document
        blocks: list[str | int] = []
        images: list[bytes] = []
        for pos, text in enumerate(doc.texts):
            if doc.images[pos] is not None:
                # Slots whose image was not fetched have no member: the text stays, the slot goes.
                if pos in page.images:
                    blocks.append(len(images))
                    images.append(page.images[pos].data)
            elif text.strip():
                blocks.append(text.strip())
        if not images:
            raise SampleError("no_images", f"{sample.key} in {sample.url}: no image slot has an image member")
        return blocks, images

    def _interleave(self, blocks: list[str | int], attach_next: bool) -> tuple[str, list[int]]:
        """The interleaved string and the image ordinals in the order their `<image>` appears."""
        if attach_next:
            # Move every image before the text run that precedes it, so that text attends to
            # the image that follows it in the page (paper: p = 1/2 per document here).
            reordered, run = [], []
            for block in blocks:
                if isinstance(block, int):
                    reordered += [block, *run]
                    run = []
                else:
                    run.append(block)
            blocks = reordered + run
        enc, pieces, order, open_chunk = self.encoder, [], [], False
        for block in blocks:
            if isinstance(block, int):
                pieces.append((enc.eoc_token if open_chunk else "") + enc.media_token)
                order.append(block)
                open_chunk = True
            else:
                pieces.append(" " + block)
        if open_chunk:
            pieces.append(enc.eoc_token)
        return "".join(pieces), order

    def __call__(self, sample: RawSample, rng: Random) -> Example:
        enc = self.encoder
        blocks, images = self._blocks(sample)
        text, order = self._interleave(blocks, rng.random() < self.p_next)
        ids = enc.encode(text)
        image_positions = [i for i, t in enumerate(ids) if t == enc.media_id]
        start = 0
        if len(ids) > self.max_length:
            # A random window that holds at least one image (an image-free window has no target).
            anchor = image_positions[rng.randrange(len(image_positions))]
            start = rng.randint(max(0, anchor - self.max_length + 1), min(anchor, len(ids) - self.max_length))
        window = ids[start : start + self.max_length]
        first = sum(p < start for p in image_positions)
        in_window = [p - start for p in image_positions if start <= p < start + self.max_length]
        if len(in_window) > self.max_images:
            window = window[: in_window[self.max_images]]  # cut before the (max_images+1)-th image
            in_window = in_window[: self.max_images]
        labels = enc.labels_for(window)
        if all(label == IGNORE for label in labels):
            raise SampleError("no_targets", f"{sample.key}: the window holds no text after an image")
        where = f"{sample.url}:{sample.key}"
        media = [self.image(images[k], where) for k in order[first : first + len(in_window)]]
        return Example(
            key=sample.key, input_ids=window, labels=labels, media=torch.stack(media)[:, None]
        )  # [N, 1, C, H, W]


PIPELINES: dict[str, type[Pipeline]] = {p.kind: p for p in (PairsPipeline, VideosPipeline, M3WPipeline)}


def build_pipeline(kind: str, **kwargs) -> Pipeline:
    if kind not in PIPELINES:
        raise ValueError(f"unknown dataset kind {kind!r}; valid kinds: {sorted(PIPELINES)}")
    return PIPELINES[kind](**kwargs)
