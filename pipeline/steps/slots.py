"""Removing image slots from an M3W page: the one rule every step that removes images follows.

An image slot can go at several steps: its fetch or decode failed, an image filter rejected it,
dedup found it on too many pages, a release step found it elsewhere or in an evaluation set.
Each removed slot is an image-stage reject (stage IMAGE: reported, not counted against the
page inputs); the page is then judged again by the `image_count` filter of the build's
document chain (the paper's M3W pages keep at least one image), and a page it rejects is a
page-level reject of the step that removed the last slots.

    kept, rejects = remove_image_slots(sample, {pos: SlotDrop(reason, detail)}, stage=Stage.DEDUP,
                                       count_filter=image_count_filter(chain))
"""

from __future__ import annotations

import dataclasses

from filters.base import Filter, Reject
from filters.chain import FilterChain
from filters.image_count import ImageCountFilter
from schemas import M3WSample, RejectReason, RejectRecord, Stage, stable_key


@dataclasses.dataclass(frozen=True)
class SlotDrop:
    """Why one image slot goes: the reason, a detail naming the rule, and the kept copy (dedup)."""

    reason: RejectReason
    detail: str
    kept_key: str | None = None


def image_reject_key(doc_key: str, image_url: str) -> str:
    """The key of an image-slot reject: stable per (page, image URL)."""
    return stable_key("image", doc_key, image_url)


def image_count_filter(chain: FilterChain | None = None) -> Filter:
    """The chain's `image_count` filter (its configured bounds), else the paper's default (>= 1 image)."""
    found = [f for f in (chain.filters if chain is not None else ()) if f.name == "image_count"]
    return found[0] if found else ImageCountFilter()


def slot_rejects(sample: M3WSample, drops: dict[int, SlotDrop]) -> list[RejectRecord]:
    """One image-stage reject per dropped slot, in slot order; the detail names the page."""
    key = sample.key
    out = []
    for pos in sorted(drops):
        drop, url = drops[pos], sample.document.images[pos].url
        out.append(
            RejectRecord(
                image_reject_key(key, url), url, Stage.IMAGE, drop.reason, drop.detail[:2000], drop.kept_key
            )
        )
    return out


def remove_image_slots(
    sample: M3WSample, drops: dict[int, SlotDrop], *, stage: Stage, count_filter: Filter | None
) -> tuple[M3WSample | None, list[RejectRecord]]:
    """(the page without the dropped slots, or None when `count_filter` rejects what is left; the
    rejects: one per slot, then the page's own). With `count_filter=None` the page is kept
    whatever it holds (the caller judges it with its own chain)."""
    if not drops:
        return sample, []
    rejects = slot_rejects(sample, drops)
    cut = sample.without_slots(set(drops))
    verdict = count_filter.filter(cut.document) if count_filter is not None else None
    if isinstance(verdict, Reject):
        why = sorted({d.reason.value for d in drops.values()})
        rejects.append(
            RejectRecord(
                sample.key,
                sample.source,
                stage,
                verdict.reason,
                f"{count_filter.name}: {verdict.detail} after removing {len(drops)} image slot(s) "
                f"({', '.join(why)})",
            )
        )
        return None, rejects
    return cut, rejects
