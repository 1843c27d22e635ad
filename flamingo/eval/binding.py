"""Fast binding: a task only the context can solve.

Each episode names a few pictures with invented words ("<image> ko-ba.<|endofchunk|>", as the
sample web's quiz pages caption them) and then shows a new picture of one of them: the model must
answer with the name bound to the matching picture in its prompt ("ko-ba again."). Names are
drawn fresh per episode (and the evaluation's names never occur in training), so no weight can
hold the answer: the score measures in-context learning. The answer is read by ranking the
episode's names by likelihood, so chance is 1 / #names.

Two controls go with it:
- zero-shot: the query picture alone, the same candidate names; at chance by construction;
- shuffled support: the support pictures permuted across the names (a uniform permutation, so
  a model that matches pictures perfectly scores chance in expectation); a model that ranks
  names by anything but the picture-name binding is not hurt by the shuffle.

    episodes = load_episodes("out/demo/sample/eval/binding/episodes.jsonl", model.image_size)
    evaluate_binding(model, episodes)  # {"accuracy", "chance", "zero_shot", "shuffled_support", ...}
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from random import Random

import torch

from flamingo.data.media import ImageTransform
from flamingo.eval.fewshot import LabeledImage, candidate_logprobs
from flamingo.eval.prompts import build_prompt, get_format

TASK = "naming"  # the prompt format: "<image>{name}.<|endofchunk|>", query "<image>"
ANSWER = "{name} again."  # what follows the query on a quiz page; each candidate is scored as this
CONTROLS = ("support", "zero_shot", "shuffled_support")


@dataclass
class BindingEpisode:
    support: list[LabeledImage]  # answer = the picture's name
    query: LabeledImage  # answer = the name of the support picture showing the same object

    @property
    def names(self) -> list[str]:
        return [s.answer for s in self.support]


def load_episodes(path: str, image_size: int) -> list[BindingEpisode]:
    """JSON lines {"support": [[image path, name], ...], "query": image path, "answer": name};
    image paths are relative to the file."""
    transform, base, episodes = ImageTransform(image_size=image_size), os.path.dirname(path), []

    def picture(rel: str, name: str) -> LabeledImage:
        with open(os.path.join(base, rel), "rb") as f:
            return LabeledImage(image=transform(f.read(), rel), answer=name, key=rel)

    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, start=1):
            row = json.loads(line)
            names = [name for _, name in row["support"]]
            if row["answer"] not in names or len(set(names)) != len(names):
                raise ValueError(
                    f"{path}:{number}: the answer {row['answer']!r} must be one of the episode's "
                    f"distinct support names {names}"
                )
            episodes.append(
                BindingEpisode(
                    support=[picture(rel, name) for rel, name in row["support"]],
                    query=picture(row["query"], row["answer"]),
                )
            )
    if not episodes:
        raise ValueError(f"{path} holds no episodes")
    return episodes


@torch.no_grad()
def _answer(model, episode: BindingEpisode, control: str, rng: Random) -> str:
    fmt = get_format(TASK)
    candidates = [ANSWER.format(name=name) for name in episode.names]
    if control == "zero_shot":
        prompt, images = fmt.render_query(), [episode.query.image]
    else:
        images = [s.image for s in episode.support]
        if control == "shuffled_support":
            rng.shuffle(images)
        prompt = build_prompt(fmt, [(name, "") for name in episode.names])
        images.append(episode.query.image)
    media = torch.stack(images)[:, None]  # [N, T=1, C, H, W]
    best = int(candidate_logprobs(model, prompt, media, candidates).argmax())
    return episode.names[best]


def evaluate_binding(model, episodes: list[BindingEpisode], *, seed: int = 0) -> dict:
    """Accuracy with the named support, chance, and the two controls; predictions per episode."""
    model.eval()
    scores: dict[str, int] = dict.fromkeys(CONTROLS, 0)
    predictions = []
    for number, episode in enumerate(episodes):
        rng = Random(f"binding:{seed}:{number}")
        answers = {control: _answer(model, episode, control, rng) for control in CONTROLS}
        for control, answer in answers.items():
            scores[control] += answer == episode.query.answer
        predictions.append({"query": episode.query.key, "truth": episode.query.answer, **answers})
    n = len(episodes)
    return {
        "accuracy": scores["support"] / n,
        "chance": sum(1 / len(e.names) for e in episodes) / n,
        "zero_shot": scores["zero_shot"] / n,
        "shuffled_support": scores["shuffled_support"] / n,
        "episodes": n,
        "predictions": predictions,
    }
