"""Few-shot prompts, RICES ordering, and the ranking/generation evaluation on a tiny model."""

from __future__ import annotations

import pytest
import torch

from flamingo.eval.fewshot import LabeledImage, evaluate
from flamingo.eval.prompts import build_prompt, get_format, normalise_answer
from flamingo.eval.rices import RICES
from tests.flamingo.shardmaker import one_thread, tiny_model


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    before = one_thread()
    yield
    torch.set_num_threads(before)


def test_captioning_prompt_string():
    fmt = get_format("captioning")
    prompt = build_prompt(fmt, [("a red circle", ""), ("a blue star", "")])
    assert (
        prompt
        == "<image>Output: a red circle<|endofchunk|><image>Output: a blue star<|endofchunk|><image>Output:"
    )


def test_vqa_prompt_string():
    fmt = get_format("vqa")
    prompt = build_prompt(fmt, [("red", "what colour?")], "what shape?")
    assert prompt == (
        "<image>Question: what colour? Short answer: red<|endofchunk|>"
        "<image>Question: what shape? Short answer:"
    )


def test_zero_shot_trick_uses_text_only_examples():
    fmt = get_format("captioning")
    prompt = build_prompt(fmt, [("a red circle", ""), ("a blue star", "")], text_only=2)
    assert prompt == "Output: a red circle<|endofchunk|>Output: a blue star<|endofchunk|><image>Output:"
    assert prompt.count("<image>") == 1


def test_unknown_task_lists_valid_ones():
    with pytest.raises(ValueError, match="valid tasks"):
        get_format("ocr")


def test_rices_orders_most_similar_last():
    support = torch.tensor([[1.0, 0, 0], [0, 1, 0], [0, 0, 1], [-1, 0, 0]])
    # Cosine similarities to the query: 0.90, 0.40, 0.10, -0.90 (after normalising the query).
    query = torch.nn.functional.normalize(torch.tensor([[0.9, 0.4, 0.1]]), dim=-1)
    assert RICES(support).select(query, 3) == [[2, 1, 0]]
    assert RICES(support).select(query, 2, exclude=[0]) == [[2, 1]]


def test_normalised_exact_match():
    assert normalise_answer("  A Red, circle. ") == "a red circle"


def test_rank_and_generate_run_on_a_tiny_model():
    model = tiny_model()
    size = model.image_size
    colours = [torch.full((3, size, size), v) for v in (-1.0, 0.0, 1.0)]
    support = [
        LabeledImage(image=c, answer=f"a {w} square", key=str(i))
        for i, (c, w) in enumerate(zip(colours, ["red", "green", "blue"], strict=False))
    ]
    queries = [
        LabeledImage(image=colours[0], answer="a red square", key="q0"),
        LabeledImage(image=colours[2], answer="a blue square", key="q1"),
    ]
    ranked = evaluate(model, support, queries, shots=2, method="rank")
    assert ranked.chance == 0.5 and ranked.num_queries == 2
    assert all(p["prediction"] in ("a red square", "a blue square") for p in ranked.predictions)
    generated = evaluate(model, support, queries, shots=0, method="generate", max_new_tokens=4)
    assert generated.num_queries == 2 and 0.0 <= generated.accuracy <= 1.0


def test_candidate_scores_with_the_shared_prompt_cache_equal_scoring_each_full_row():
    from flamingo import Flamingo, FlamingoConfig
    from flamingo.eval.fewshot import candidate_logprobs

    torch.manual_seed(0)
    model = Flamingo(FlamingoConfig.preset("tiny")).eval()
    with torch.no_grad():
        for name, param in model.named_parameters():
            if "gate" in name:
                param.fill_(0.7)  # open the gates: the tails must read the prompt's last image
    prompt = "<image>Output: a red circle on a blue background<|endofchunk|>" * 2 + "<image>Output:"
    candidates = ["a red circle on a blue background", "a star", "a green square in the corner"]
    media = torch.randn(3, 1, 3, model.image_size, model.image_size)
    tok = model.tokenizer
    prompt_ids = tok(prompt, add_special_tokens=False)["input_ids"]
    expected = []
    for c in candidates:
        tail = tok(" " + c, add_special_tokens=False)["input_ids"] + [model.eoc_token_id]
        ids = torch.tensor([prompt_ids + tail])
        with torch.no_grad():
            logits = model(ids, media=media[None]).logits.float()
        logp = torch.log_softmax(logits[0, :-1], -1).gather(-1, ids[0, 1:, None]).squeeze(-1)
        expected.append(logp[len(prompt_ids) - 1 :].sum())
    scores = candidate_logprobs(model, prompt, media, candidates)
    assert torch.allclose(scores, torch.stack(expected), atol=1e-4)
    # A different last image changes the scores: the tails do read it.
    other = media.clone()
    other[-1] = -other[-1]
    assert not torch.allclose(candidate_logprobs(model, prompt, other, candidates), scores, atol=1e-4)
