"""Getting bytes over HTTP: fetcher, client, robots.txt, private-address guard, opt-out, politeness."""
