"""Extraction quality and speed: crawlers.extract_document vs trafilatura vs resiliparse, one run.

    python -m bench.extract [DIR_OF_PAGES] [--rounds 3] [--corpus real|sample|realistic|all]
                            [--labels bench/data/extract_labels.json]

The headline table is real pages nobody here tuned on (bench/real_pages.py): the 102 news and
blog pages of `../shared/data/article-extraction-dev/` with the article body a person wrote down
(skipped, with a message, where that folder is absent), and newspaper4k's labelled test pages
(fetched into a cache outside git). Per extractor: F1, precision and recall over 4-token
shingles of the article body (the benchmark's own metric), and pages/s.
"flamingo" is extract_document with its compiled passes (crawlers/html/_fastdom.pyx),
"flamingo-py" the same with the Python reference passes; "trafilatura" runs with its defaults,
"trafilatura+img" with include_images=True (it then does the image work we do: the same job as
ours); "resiliparse" is extract_plain_text(main_content=True) (text only, its fastest mode).

The generator-labelled corpora form the second table: the sample web (demo.sample, seed 0:
51 pages of ~6 KB) and the realistic pages (bench/realistic_pages.py: 30 pages of 40-48 KB with
head scripts, mega-menus, sidebars, teaser grids and comment threads). Quality proxy there:
recall = share of labelled main-content sentences found in the output; boilerplate kept = share
of labelled boilerplate sentences found (lower is better); labels "hand" (three sample-web
pages, bench/data) and "generator" (from the generator's own plan).

Speed: a warm-up pass first (each extractor over every page once; its outputs are the ones
scored), then `rounds` timed rounds: a round runs each extractor over every page in turn, so no
extractor meets the same page twice in a row and slow spells of the machine are shared; per page
the median time is kept; pages/s = pages / sum of medians.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench.real_pages import RealPage, f1_precision_recall, load_newspaper4k, load_zyte, page_counts
from crawlers.html.extract import _compiled, extract_document

DEFAULT_LABELS = Path(__file__).parent / "data" / "extract_labels.json"
BASE_URL = "http://sample.flamingo.test/"


def ours(html: str, url: str) -> str:
    return extract_document(html, url).text("\n")


def ours_python(html: str, url: str) -> str:
    """The same extraction with the Python reference passes instead of crawlers/html/_fastdom.pyx."""
    return extract_document(html, url, compiled=False).text("\n")


def _trafilatura(include_images: bool) -> Callable[[str, str], str] | None:
    try:
        import trafilatura
    except ImportError:
        return None
    if include_images:
        return lambda html, url: trafilatura.extract(html, url=url, include_images=True) or ""
    return lambda html, url: trafilatura.extract(html, url=url) or ""


def _resiliparse() -> Callable[[str, str], str] | None:
    try:
        from resiliparse.extract.html2text import extract_plain_text
        from resiliparse.parse.html import HTMLTree
    except ImportError:
        return None
    return lambda html, url: extract_plain_text(HTMLTree.parse(html), main_content=True)


def load_pages(root: Path) -> dict[str, str]:
    files = sorted(p for p in root.rglob("*.html") if p.is_file())
    return {p.relative_to(root).as_posix(): p.read_text("utf-8", "replace") for p in files}


def time_extractors(
    fns: dict[str, Callable[[str, str], str]],
    pages: dict[str, str],
    rounds: int,
    urls: dict[str, str] | None = None,
) -> dict[str, float]:
    """Pages per second of each extractor from the median time of each page over `rounds` rounds.

    A round runs each extractor over the whole corpus in turn, page after page, as a worker meets
    pages: an extractor never sees the same page twice in a row (so the page is not hot in the
    cache), and a slow spell of this shared machine falls on every extractor alike across rounds.
    """
    times: dict[str, dict[str, list[float]]] = {name: {page: [] for page in pages} for name in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            for page, html in pages.items():
                url = urls[page] if urls else BASE_URL + page
                start = time.perf_counter()
                fn(html, url)
                times[name][page].append(time.perf_counter() - start)
    return {
        name: len(pages) / sum(statistics.median(t) for t in runs.values()) for name, runs in times.items()
    }


def _norm(text: str) -> str:
    return " ".join(text.split())


def quality(fn, pages: dict[str, str], labels: dict) -> tuple[float, float, int]:
    """(main-sentence recall, boilerplate-sentence share kept, labelled pages found)."""
    found_main = total_main = found_boiler = total_boiler = used = 0
    for name, lab in labels.get("pages", {}).items():
        if name not in pages:
            continue
        used += 1
        out = _norm(fn(pages[name], BASE_URL + name))
        found_main += sum(_norm(s) in out for s in lab["main"])
        total_main += len(lab["main"])
        found_boiler += sum(_norm(s) in out for s in lab["boilerplate"])
        total_boiler += len(lab["boilerplate"])
    if not used:
        return float("nan"), float("nan"), 0
    return found_main / total_main, found_boiler / total_boiler, used


def _extractors() -> dict[str, Callable[[str, str], str] | None]:
    return {
        "flamingo": ours if _compiled() else None,
        "flamingo-py": ours_python,
        "trafilatura": _trafilatura(include_images=False),
        "trafilatura+img": _trafilatura(include_images=True),
        "resiliparse": _resiliparse(),
    }


def _missing(extractors: dict) -> None:
    for name, fn in extractors.items():
        if fn is None:
            hint = "pip install -e . builds crawlers.html._fastdom" if name == "flamingo" else "make bench"
            sys.stdout.write(f"{name}: not installed ({hint})\n")


def report_real(title: str, pages: dict[str, RealPage], rounds: int) -> dict[str, tuple]:
    """The real-page table: F1 / precision / recall / pages/s per extractor, one interleaved run."""
    extractors = _extractors()
    mean_kb = sum(len(p.html.encode("utf-8")) for p in pages.values()) / len(pages) / 1024
    sys.stdout.write(
        f"== {title}: {len(pages)} real pages, mean {mean_kb:.1f} KB, warm-up + {rounds} rounds\n"
    )
    _missing(extractors)
    runnable = {name: fn for name, fn in extractors.items() if fn is not None}
    urls = {key: p.url for key, p in pages.items()}
    scores = {}
    for name, fn in runnable.items():  # the warm-up pass: its outputs are the ones scored
        scores[name] = f1_precision_recall(page_counts(p.body, fn(p.html, p.url)) for p in pages.values())
    rates = time_extractors(runnable, {key: p.html for key, p in pages.items()}, rounds, urls)
    base = rates.get("trafilatura")
    sys.stdout.write(
        f"{'extractor':16s} {'F1':>6s} {'prec':>6s} {'recall':>6s} {'pages/s':>9s}  vs trafilatura\n"
    )
    rows = {}
    for name in runnable:
        f1, precision, recall = scores[name]
        ratio = f"{rates[name] / base:5.1f}x" if base else "-"
        sys.stdout.write(f"{name:16s} {f1:6.3f} {precision:6.3f} {recall:6.3f} {rates[name]:9.1f}  {ratio}\n")
        rows[name] = (f1, precision, recall, rates[name])
    return rows


def _report(title: str, pages: dict[str, str], label_sets: dict[str, dict], rounds: int) -> None:
    extractors = _extractors()
    mean_kb = sum(len(h.encode("utf-8")) for h in pages.values()) / len(pages) / 1024
    sys.stdout.write(
        f"== {title}: {len(pages)} pages, mean {mean_kb:.1f} KB, {rounds} rounds, median per page\n"
    )
    _missing(extractors)
    runnable = {name: fn for name, fn in extractors.items() if fn is not None}
    for fn in runnable.values():  # warm-up pass
        for page, html in pages.items():
            fn(html, BASE_URL + page)
    results = time_extractors(runnable, pages, rounds)
    for name, fn in runnable.items():
        rate = results[name]
        scores = []
        for kind, labels in label_sets.items():
            recall, boiler, used = quality(fn, pages, labels)
            scores.append(f"{kind} ({used} pages): main recall {recall:.2f}, boilerplate kept {boiler:.2f}")
        sys.stdout.write(f"{name:12s} {rate:9.1f} pages/s   " + "   ".join(scores) + "\n")
    for ours_name in ("flamingo", "flamingo-py"):
        for peer in ("trafilatura", "resiliparse"):
            if peer in results and ours_name in results:
                sys.stdout.write(f"{ours_name} / {peer}: {results[ours_name] / results[peer]:.1f}x\n")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("pages_dir", nargs="?", help="directory of .html pages (default: the --corpus pages)")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--corpus", choices=("real", "sample", "realistic", "all"), default="all")
    p.add_argument("--labels", default=str(DEFAULT_LABELS))
    args = p.parse_args(argv)
    hand = json.loads(Path(args.labels).read_text()) if Path(args.labels).exists() else {}
    ours("<p>warm up the language model once, outside timing</p>", BASE_URL)
    if args.pages_dir:
        _report(args.pages_dir, load_pages(Path(args.pages_dir)), {"hand": hand}, args.rounds)
        return 0
    if args.corpus in ("real", "all"):
        zyte = load_zyte()
        if zyte:
            report_real("article-extraction-dev (../shared/data)", zyte, args.rounds)
        else:
            sys.stdout.write(
                "== article-extraction-dev: skipped, ../shared/data/article-extraction-dev/ is not "
                "next to this repository\n"
            )
        newspaper = load_newspaper4k()
        if newspaper:
            report_real("newspaper4k 0.9.6 test pages (sdist, cached outside git)", newspaper, args.rounds)
        else:
            sys.stdout.write("== newspaper4k test pages: skipped, its sdist could not be downloaded\n")
    if args.corpus in ("sample", "all"):
        from bench.sample_truth import sample_labels
        from demo.sample import write_sample_web

        with tempfile.TemporaryDirectory() as tmp:
            write_sample_web(tmp, seed=0)
            pages = load_pages(Path(tmp) / "site")
            truth = sample_labels(tmp, seed=0)
        _report("sample web", pages, {"hand": hand, "generator": truth}, args.rounds)
    if args.corpus in ("realistic", "all"):
        from bench.realistic_pages import realistic_pages

        generated = realistic_pages(seed=0)
        pages = {name: page.html for name, page in generated.items()}
        truth = {
            "pages": {
                name: {"main": page.main, "boilerplate": page.boilerplate} for name, page in generated.items()
            }
        }
        _report("realistic pages", pages, {"generator": truth}, args.rounds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
