"""Fast binding: the prompts of each control, the ranking over the episode's names, the scores.

Names are made of words the tiny tokenizer knows, so that no two candidates read as `<unk>`."""

from __future__ import annotations

from random import Random

import pytest
import torch

from flamingo.eval.binding import BindingEpisode, _answer, evaluate_binding
from flamingo.eval.fewshot import LabeledImage, candidate_logprobs
from tests.flamingo.shardmaker import one_thread, tiny_model


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    before = one_thread()
    yield
    torch.set_num_threads(before)


def _episode(model, values: tuple[float, ...], names: tuple[str, ...], target: int) -> BindingEpisode:
    size = model.image_size
    support = [
        LabeledImage(image=torch.full((3, size, size), v), answer=n, key=f"s-{n}")
        for v, n in zip(values, names, strict=True)
    ]
    query = LabeledImage(
        image=torch.full((3, size, size), values[target] + 0.05), answer=names[target], key="q"
    )
    return BindingEpisode(support=support, query=query)


def _best(model, prompt: str, images: list[torch.Tensor], names: list[str]) -> str:
    media = torch.stack(images)[:, None]
    candidates = [f"{n} again." for n in names]
    return names[int(candidate_logprobs(model, prompt, media, candidates).argmax())]


def test_each_control_ranks_the_names_after_its_own_prompt():
    model = tiny_model()
    episode = _episode(model, (-1.0, 0.0, 1.0), ("red - dot", "blue - star", "pink - line"), target=1)
    support_images = [s.image for s in episode.support]
    prompt = "".join(f"<image>{name}.<|endofchunk|>" for name in episode.names) + "<image>"
    expected = _best(model, prompt, [*support_images, episode.query.image], episode.names)
    assert _answer(model, episode, "support", Random(0)) == expected
    # Zero-shot: the query picture alone, the same candidates.
    assert _answer(model, episode, "zero_shot", Random(0)) == _best(
        model, "<image>", [episode.query.image], episode.names
    )
    # Shuffled support: the same text, the support pictures permuted by the control's rng.
    shuffled = list(support_images)
    Random(5).shuffle(shuffled)
    assert _answer(model, episode, "shuffled_support", Random(5)) == _best(
        model, prompt, [*shuffled, episode.query.image], episode.names
    )


def test_scores_are_fractions_of_episodes_and_chance_is_one_over_the_names():
    model = tiny_model()
    episodes = [
        _episode(model, (-1.0, 0.0, 1.0), ("red - dot", "blue - star", "pink - line"), target=0),
        _episode(model, (-0.5, 0.5), ("gray - top", "cyan - corner"), target=1),
    ]
    result = evaluate_binding(model, episodes, seed=3)
    assert result["episodes"] == 2 and result["chance"] == pytest.approx((1 / 3 + 1 / 2) / 2)
    predictions = result["predictions"]
    assert [p["truth"] for p in predictions] == ["red - dot", "cyan - corner"]
    for control, key in (("support", "accuracy"), ("zero_shot", "zero_shot"), ("shuffled_support", None)):
        hits = sum(p[control] == p["truth"] for p in predictions)
        assert result[key or control] == hits / 2
    assert evaluate_binding(model, episodes, seed=3) == result  # the seed fixes the shuffles
