"""The Beam layer: composite transforms, shard writing, the three jobs, the CLI."""
