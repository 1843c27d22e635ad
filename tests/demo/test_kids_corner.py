"""The kids' corner: naming quizzes, picture series and the held-out binding episodes.

The binding evaluation is honest only if nothing of it reaches training: no evaluation name in a
quiz page, no evaluation picture among the training pictures, no evaluation caption in a series.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from demo.sample.kids import BINDING_DIR, EPISODES_FILE, write_binding_eval
from demo.sample.quiz import (
    EPISODE_OBJECTS,
    EVAL_NAMES,
    INTRO,
    NUM_EPISODES,
    REPEAT,
    TRAIN_NAMES,
    draw_names,
    plan_episodes,
    plan_quiz,
)
from demo.sample.series import plan_series
from flamingo.eval.binding import load_episodes


def _captions(images) -> list[str]:
    return [img.caption for img in images]


def test_train_and_eval_name_pools_are_disjoint_and_cover_the_pairs():
    assert not set(TRAIN_NAMES) & set(EVAL_NAMES)
    assert len(TRAIN_NAMES) + len(EVAL_NAMES) == 12 * 11  # every ordered pair of distinct syllables


def test_quiz_pages_name_each_object_twice_with_training_names_only():
    pages, images = plan_quiz(0, num_pages=30)
    assert len(pages) == 30
    for page in pages:
        captions = [slot.image.caption for kind, slot in page.blocks if kind == "img"]
        names = [c.removesuffix(" again.").removesuffix(".") for c in captions]
        assert set(names) <= set(TRAIN_NAMES)
        # Each name: first its introduction, later its repeat; no caption twice on a page.
        for name in set(names):
            assert [c for c in captions if c.startswith(name)] == [
                INTRO.format(name=name),
                REPEAT.format(name=name),
            ]
        # The same name always shows the same object (shape and colour).
        objects = {}
        for kind, slot in page.blocks:
            if kind == "img":
                name = slot.image.caption.removesuffix(" again.").removesuffix(".")
                scene = slot.image.scene
                assert objects.setdefault(name, (scene.shape, scene.colour)) == (scene.shape, scene.colour)


def test_episodes_use_eval_names_and_pictures_never_in_training():
    episodes = plan_episodes(0)
    assert len(episodes) == NUM_EPISODES
    quiz_pages, quiz_images = plan_quiz(0)
    training_names = {
        c.removesuffix(" again.").removesuffix(".") for c in _captions(quiz_images)
    }  # every name a training page shows
    _, series_images = plan_series(0, avoid=set())
    training_scenes = {img.scene for img in (*quiz_images, *series_images)}
    for episode in episodes:
        assert len(episode.names) == EPISODE_OBJECTS == len(set(episode.names))
        assert set(episode.names) <= set(EVAL_NAMES) and not set(episode.names) & training_names
        assert episode.answer in episode.names
        pictures = [episode.query, *(scene for scene, _ in episode.support)]
        assert not set(pictures) & training_scenes  # no evaluation picture is a training picture
        # The query is a new picture of the answer's object, not a copy of its support picture.
        (shown,) = [scene for scene, name in episode.support if name == episode.answer]
        assert (shown.shape, shown.colour) == (episode.query.shape, episode.query.colour)
        assert shown != episode.query
        # The other support objects differ from the query's in shape and colour.
        for scene, name in episode.support:
            if name != episode.answer:
                assert scene.shape != episode.query.shape and scene.colour != episode.query.colour


def test_series_pages_avoid_the_captioning_eval_captions():
    avoid = {"a red circle on a blue background", "a green star on a white background"}
    _, images = plan_series(0, avoid=avoid, num_pages=20)
    assert len(images) >= 20 * 5 and not set(_captions(images)) & avoid


def test_episodes_are_reproducible_and_differ_by_seed():
    assert plan_episodes(3) == plan_episodes(3)
    assert plan_episodes(3) != plan_episodes(4)


def test_names_in_an_episode_share_no_syllable_and_an_impossible_draw_is_an_error():
    from random import Random

    rng = Random(0)
    for _ in range(50):
        names = draw_names(rng, EVAL_NAMES, 4)
        syllables = [s for n in names for s in n.split("-")]
        assert len(set(syllables)) == len(syllables) == 8
    with pytest.raises(ValueError, match="without a shared syllable"):
        draw_names(rng, EVAL_NAMES, 7)  # 14 syllables from 12


def test_written_episodes_load_as_binding_episodes(tmp_path: Path):
    assert write_binding_eval(tmp_path, seed=0) == NUM_EPISODES
    path = tmp_path / BINDING_DIR / EPISODES_FILE
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    planned = plan_episodes(0)
    assert [r["answer"] for r in rows] == [e.answer for e in planned]
    assert [[name for _, name in r["support"]] for r in rows] == [e.names for e in planned]
    episodes = load_episodes(str(path), image_size=32)
    assert len(episodes) == NUM_EPISODES
    first = episodes[0]
    assert first.names == planned[0].names and first.query.answer == planned[0].answer
    assert first.query.image.shape == (3, 32, 32)
    # Every picture file is its own: the query's is not one of its support pictures' files.
    assert all(r["query"] not in {p for p, _ in r["support"]} for r in rows)


def test_an_episode_whose_answer_is_not_a_support_name_is_an_error(tmp_path: Path):
    write_binding_eval(tmp_path, seed=0)
    path = tmp_path / BINDING_DIR / EPISODES_FILE
    row = json.loads(path.read_text().splitlines()[0])
    row["answer"] = "nobody"
    bad = path.with_name("bad.jsonl")
    bad.write_text(json.dumps(row) + "\n")
    with pytest.raises(ValueError, match="bad.jsonl:1: the answer 'nobody'"):
        load_episodes(str(bad), image_size=32)
