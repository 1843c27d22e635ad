"""Fault injection: the jobs against kill -9, a hostile server and hostile inputs (issue 16).

Each numbered case of the issue has a regression test that failed on the code before its fix:
  1 repeated keys ................ tests/faults/test_keys.py
  2 CSV that lies ................ tests/pipeline/io/test_readers.py (quotes, huge field, BOM, UTF-8)
  3 one WARC name in two folders . tests/faults/test_keys.py
  4 crash while rewriting a shard  tests/faults/test_kill.py, tests/faults/test_keys.py
  5 stale files in a reused folder tests/pipeline/report/test_build_report.py,
                                   tests/flamingo/data/test_split.py
  6 untrusted video sources ...... tests/pipeline/jobs/test_videos.py,
                                   tests/crawlers/media/test_video_probe.py
  7 manifest shard names ......... tests/pipeline/jobs/test_release.py, tests/flamingo/data/test_split.py
  8 unpickling state.pt .......... tests/flamingo/train/test_trainer.py
  9 robots.txt by RFC 9309 ....... tests/crawlers/http/test_robots.py
 10 header drip, per-URL cap ..... tests/crawlers/http/test_fetch_bounds.py,
                                   tests/faults/test_hostile_server.py
 11 tar member caps .............. tests/flamingo/data/test_pipelines.py, tests/pipeline/jobs/test_pairs.py
 12 decode memory ................ tests/crawlers/media/test_decode_budget.py
 13 one odd member name .......... tests/flamingo/data/test_pipelines.py
 14 refused is not a timeout, 6to4 tests/crawlers/http/test_fetch_bounds.py
 15 one clear line ............... tests/faults/test_bad_inputs.py
"""
