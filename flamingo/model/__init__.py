"""The Flamingo model: config, resampler, gated cross-attention, LM wrapping, vision, tokens."""
