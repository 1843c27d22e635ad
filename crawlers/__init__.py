"""Getting bytes and reading them: WARC reading, HTTP fetching, HTML extraction, media decoding."""
