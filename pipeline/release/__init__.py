"""Release steps across finished builds: per-image probes and the stages that judge them."""
