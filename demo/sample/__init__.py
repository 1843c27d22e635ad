"""The embedded sample web: a small deterministic synthetic site for tests and the demo.

from demo.sample import write_sample_web, serve_site, write_lists
info = write_sample_web(out_dir, seed=0)  # site/, sample.warc.gz, pairs.csv, videos.csv, urls.txt, eval/
with serve_site(out_dir / "site") as base_url:    # "http://127.0.0.1:PORT/"
    write_lists(out_dir, base_url, out_dir / "live")  # the lists with absolute URLs for this server
"""

from demo.sample.generate import write_sample_web
from demo.sample.lists import write_lists
from demo.sample.server import serve_site

__all__ = ["serve_site", "write_lists", "write_sample_web"]
