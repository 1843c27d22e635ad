"""Few-shot evaluation: interleaved prompts, RICES, ranking or generation, accuracy.

    flamingo eval --checkpoint out/demo/train/checkpoint --support out/demo/shards/pairs \
        --queries out/demo/sample/eval/eval.csv --shots 4 --method rank

Two ways to read an answer off the model:
- "rank": score each candidate answer by its log-likelihood after the prompt and take the best
  (closed-vocabulary classification, as the paper does for some benchmarks); accuracy is the
  fraction of queries whose best candidate is the truth, and chance is 1 / #candidates.
- "generate": greedy decoding up to `<|endofchunk|>` with the media encoded once (cached),
  compared by normalised exact match (CIDEr needs a reference implementation we do not ship).
`shuffle_images=True` permutes the images across examples (support and queries alike): a model
that reads the images drops to chance, one that only learned the text prior does not.
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import os
import sys
from dataclasses import dataclass, field
from random import Random

import torch

from flamingo.data.media import ImageTransform
from flamingo.eval.prompts import FORMATS, build_prompt, get_format, normalise_answer
from flamingo.eval.rices import RICES, vision_features

log = logging.getLogger(__name__)


@dataclass
class LabeledImage:
    image: torch.Tensor  # [C, H, W], normalised like the training data
    answer: str
    question: str = ""
    key: str = ""


@dataclass
class EvalResult:
    accuracy: float
    chance: float
    num_queries: int
    method: str
    predictions: list[dict] = field(default_factory=list)


def load_csv(path: str, image_size: int) -> list[LabeledImage]:
    """A CSV with `path` (relative to the CSV) and `caption` (or `answer`, `question`) columns."""
    transform, base, items = ImageTransform(image_size=image_size), os.path.dirname(path), []
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            with open(os.path.join(base, row["path"]), "rb") as img:
                pixels = transform(img.read(), row["path"])
            items.append(
                LabeledImage(
                    image=pixels,
                    answer=row.get("caption") or row["answer"],
                    question=row.get("question", ""),
                    key=row["path"],
                )
            )
    return items


def load_pairs(urls, image_size: int, limit: int | None = None) -> list[LabeledImage]:
    """Support examples from pair shards (image + caption)."""
    from flamingo.data.media import find_image_member
    from flamingo.data.split import expand_urls
    from flamingo.data.tar_reader import iter_tar_samples

    transform, items = ImageTransform(image_size=image_size), []
    for url in expand_urls(urls):
        for s in iter_tar_samples(url):
            name = find_image_member(s.members)
            if name is None or "txt" not in s.members:
                continue
            items.append(
                LabeledImage(
                    image=transform(s.members[name], s.key),
                    answer=s.members["txt"].decode().strip(),
                    key=s.key,
                )
            )
            if limit is not None and len(items) >= limit:
                return items
    return items


def _shuffled(items: list[LabeledImage], rng: Random) -> list[LabeledImage]:
    images = [it.image for it in items]
    rng.shuffle(images)
    return [
        LabeledImage(image=img, answer=it.answer, question=it.question, key=it.key)
        for img, it in zip(images, items, strict=False)
    ]


@torch.no_grad()
def candidate_logprobs(model, prompt: str, media: torch.Tensor, candidates: list[str]) -> torch.Tensor:
    """Sum of log p(candidate tokens + <|endofchunk|> | prompt, media) for each candidate.

    The prompt runs once and its KV cache is shared by every candidate (the tails run as one
    batch after it, their text attending to the prompt's last image): an 8-shot captioning prompt
    is ~10x longer than a candidate, so this is ~8x cheaper than scoring prompt + candidate rows."""
    tok = model.tokenizer
    prompt_ids = tok(prompt, add_special_tokens=False)["input_ids"]
    tails = [tok(" " + c, add_special_tokens=False)["input_ids"] + [model.eoc_token_id] for c in candidates]
    num, width, length = len(candidates), max(len(t) for t in tails), len(prompt_ids)
    ids = torch.full((num, width), tok.pad_token_id, dtype=torch.long)
    mask = torch.zeros((num, length + width), dtype=torch.long)
    mask[:, :length] = 1
    for i, tail in enumerate(tails):
        ids[i, : len(tail)] = torch.tensor(tail)
        mask[i, length : length + len(tail)] = 1
    media_tokens = model.encode_media(media[None])  # [1, N, R, D]
    head = model(torch.tensor([prompt_ids]), media_tokens=media_tokens, use_cache=True)
    head.cache.batch_repeat_interleave(num)
    images_seen = torch.full((num,), prompt_ids.count(model.media_token_id), dtype=torch.long)
    out = model(
        ids,
        attention_mask=mask,
        media_tokens=media_tokens.expand(num, -1, -1, -1),  # [K, N, R, D]
        media_offset=images_seen,
        position_ids=torch.arange(length, length + width).expand(num, -1),
        cache=head.cache,
        use_cache=True,
    )
    # The first tail token is predicted by the prompt's last position, the rest by the tails.
    logits = torch.cat([head.logits[:, -1:].expand(num, -1, -1), out.logits[:, :-1]], dim=1).float()
    logp = torch.log_softmax(logits, dim=-1).gather(-1, ids[:, :, None]).squeeze(-1)  # [K, W]
    return (logp * mask[:, length:]).sum(dim=1)


def _rices_shots(support, queries, shots: int, model, rng: Random, support_feats=None) -> list[list[int]]:
    """RICES: the support examples whose images are nearest each query's in the vision features."""
    if support_feats is None:
        support_feats = vision_features(model, torch.stack([s.image for s in support]))
    return RICES(support_feats).select(vision_features(model, torch.stack([q.image for q in queries])), shots)


def _random_shots(support, queries, shots: int, model, rng: Random, support_feats=None) -> list[list[int]]:
    return [rng.sample(range(len(support)), min(shots, len(support))) for _ in queries]


# How the in-context examples of each query are chosen (`--retrieval`).
RETRIEVALS = {"rices": _rices_shots, "random": _random_shots}


def _rank_answer(model, prompt: str, media: torch.Tensor, candidates: list[str], max_new_tokens: int) -> str:
    """The candidate with the highest log-likelihood after the prompt."""
    return candidates[int(candidate_logprobs(model, prompt, media, candidates).argmax())]


def _generate_answer(
    model, prompt: str, media: torch.Tensor, candidates: list[str], max_new_tokens: int
) -> str:
    """Greedy decoding up to `<|endofchunk|>`, the media encoded once."""
    ids = model.tokenizer(prompt, add_special_tokens=False, return_tensors="pt")["input_ids"]
    out = model.generate(ids, media[None], max_new_tokens=max_new_tokens)
    return model.tokenizer.decode(out[0, ids.shape[1] :], skip_special_tokens=True)


# How an answer is read off the model (`--method`).
METHODS = {"rank": _rank_answer, "generate": _generate_answer}


def _registered(registry: dict, name: str, what: str):
    if name not in registry:
        raise ValueError(f"unknown {what} {name!r}; valid: {', '.join(registry)}")
    return registry[name]


def _shots_for(
    support, queries, shots: int, retrieval: str, model, rng: Random, support_feats=None
) -> list[list[int]]:
    choose = _registered(RETRIEVALS, retrieval, "retrieval")
    if shots == 0:
        return [rng.sample(range(len(support)), min(2, len(support))) for _ in queries]  # zero-shot trick
    return choose(support, queries, shots, model, rng, support_feats)


@torch.no_grad()
def evaluate(
    model,
    support: list[LabeledImage],
    queries: list[LabeledImage],
    *,
    task: str = "captioning",
    shots: int = 4,
    retrieval: str = "rices",
    method: str = "rank",
    candidates: list[str] | None = None,
    shuffle_images: bool = False,
    seed: int = 0,
    max_new_tokens: int = 16,
) -> EvalResult:
    if not queries or not support:
        raise ValueError(
            f"evaluation needs support and query examples (got {len(support)} and {len(queries)})"
        )
    model.eval()
    answer_of = _registered(METHODS, method, "method")
    fmt, rng = get_format(task), Random(f"eval:{seed}")
    if shuffle_images:
        support, queries = (
            _shuffled(support, Random(f"shuffle-support:{seed}")),
            _shuffled(queries, Random(f"shuffle-q:{seed}")),
        )
    chosen = _shots_for(support, queries, shots, retrieval, model, rng)
    candidates = candidates if candidates is not None else sorted({q.answer for q in queries})
    predictions, correct = [], 0
    for query, shot_ids in zip(queries, chosen, strict=False):
        pairs = [(support[i].answer, support[i].question) for i in shot_ids]
        prompt = build_prompt(fmt, pairs, query.question, text_only=len(pairs) if shots == 0 else 0)
        images = ([support[i].image for i in shot_ids] if shots > 0 else []) + [query.image]
        media = torch.stack(images)[:, None]  # [N, T=1, C, H, W]
        answer = answer_of(model, prompt, media, candidates, max_new_tokens)
        hit = normalise_answer(answer) == normalise_answer(query.answer)
        correct += hit
        predictions.append(
            {
                "key": query.key,
                "truth": query.answer,
                "prediction": answer.strip(),
                "correct": hit,
                "support": [support[i].key for i in shot_ids] if shots > 0 else [],  # the prompt's shots
            }
        )
    chance = 1.0 / len(candidates) if method == "rank" else 0.0
    return EvalResult(
        accuracy=correct / len(queries),
        chance=chance,
        num_queries=len(queries),
        method=method,
        predictions=predictions,
    )


def main(argv: list[str] | None = None) -> int:
    from flamingo.train.checkpoint import load_model

    parser = argparse.ArgumentParser(
        prog="flamingo eval", description="few-shot evaluation of a Flamingo checkpoint"
    )
    parser.add_argument(
        "--checkpoint", required=True, help="a checkpoint directory written by `flamingo train`"
    )
    parser.add_argument(
        "--support", required=True, help="pair shards (braces/dir/manifest) or a CSV of path,caption"
    )
    parser.add_argument("--queries", required=True, help="CSV of path,caption (paths relative to the CSV)")
    parser.add_argument("--task", default="captioning", choices=sorted(FORMATS))
    parser.add_argument(
        "--shots", type=int, default=4, help="support examples per prompt; 0: zero-shot trick"
    )
    parser.add_argument("--retrieval", default="rices", choices=sorted(RETRIEVALS))
    parser.add_argument("--method", default="rank", choices=sorted(METHODS))
    parser.add_argument("--shuffle-images", action="store_true")
    parser.add_argument("--output", help="write the result (with predictions) as JSON here")
    args = parser.parse_args(argv)
    model = load_model(args.checkpoint)
    size = model.image_size
    support = (
        load_csv(args.support, size) if args.support.endswith(".csv") else load_pairs(args.support, size)
    )
    result = evaluate(
        model,
        support,
        load_csv(args.queries, size),
        task=args.task,
        shots=args.shots,
        retrieval=args.retrieval,
        method=args.method,
        shuffle_images=args.shuffle_images,
    )
    summary = {
        "accuracy": result.accuracy,
        "chance": result.chance,
        "queries": result.num_queries,
        "method": result.method,
    }
    if args.output:
        with open(args.output, "w", encoding="utf-8") as f:
            json.dump({**summary, "predictions": result.predictions}, f, indent=2)
    log.info("eval: %s", summary)
    sys.stdout.write(json.dumps(summary) + "\n")  # the command's result
    return 0
