"""Reading inputs and builds, writing shards and manifests (all through Beam's FileSystems)."""
