"""Few-shot prompt formats (the paper's Appendix: interleaved support examples, then the query).

    captioning: "<image>Output: a red circle on a blue background<|endofchunk|>"
    vqa:        "<image>Question: what colour is the circle? Short answer: red<|endofchunk|>"
    naming:     "<image>ko-ba.<|endofchunk|>"

A prompt is the support examples (in the order given: RICES puts the most similar last) and
then the query, which ends where the model's answer starts. The zero-shot trick (paper §3):
with no support images, two text-only examples of the task still set the output format, so
`build_prompt(..., text_only=2)` prepends the first two examples without their `<image>`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PromptFormat:
    example: str  # with {answer} (and {question} for vqa)
    query: str  # the same text cut where the answer starts
    media_token: str = "<image>"
    eoc_token: str = "<|endofchunk|>"

    def render_example(self, answer: str, question: str = "", *, with_image: bool = True) -> str:
        text = self.example.format(answer=answer, question=question) + self.eoc_token
        return (self.media_token if with_image else "") + text

    def render_query(self, question: str = "") -> str:
        return self.media_token + self.query.format(question=question)


FORMATS: dict[str, PromptFormat] = {
    "captioning": PromptFormat(example="Output: {answer}", query="Output:"),
    "vqa": PromptFormat(
        example="Question: {question} Short answer: {answer}", query="Question: {question} Short answer:"
    ),
    # Fast binding (flamingo/eval/binding.py): invented names given to pictures in the context.
    "naming": PromptFormat(example="{answer}.", query=""),
}


def get_format(task: str) -> PromptFormat:
    if task not in FORMATS:
        raise ValueError(f"unknown task {task!r}; valid tasks: {sorted(FORMATS)}")
    return FORMATS[task]


def build_prompt(
    fmt: PromptFormat, shots: list[tuple[str, str]], question: str = "", *, text_only: int = 0
) -> str:
    """`shots`: (answer, question) pairs with images, in prompt order; `text_only`: how many of
    them to render without their image (the zero-shot trick uses 2 and no image shots)."""
    parts = [fmt.render_example(a, q, with_image=i >= text_only) for i, (a, q) in enumerate(shots)]
    return "".join(parts) + fmt.render_query(question)


def normalise_answer(text: str) -> str:
    """Lower case, no punctuation, single spaces: what exact match compares."""
    kept = "".join(c if c.isalnum() or c.isspace() else " " for c in text.lower())
    return " ".join(kept.split())
