"""Getting bytes and reading them: WARC reading, HTTP fetching, HTML extraction, media decoding."""

from crawlers.html.extract import extract_document  # noqa: E402,F401  (the public entry point)
