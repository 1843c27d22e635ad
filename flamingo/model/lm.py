"""Loading a Hugging Face causal LM and inserting GATED XATTN-DENSE blocks into it.

How the blocks get in, and how media reach them, without patching any class:
- the decoder-layer `nn.ModuleList` is found by shape (the ModuleList whose length is the
  config's `num_hidden_layers`), so GPT-2 (`transformer.h`), OPT (`model.decoder.layers`),
  Llama/Mistral/Qwen2 (`model.layers`) and GPT-NeoX (`gpt_neox.layers`) need no table;
- entries of that list are replaced by `XattnDecoderLayer` instances, each owning one
  gated block and the original layer;
- media travel as a forward keyword argument: transformers >= 5 passes the `**kwargs` of
  `ForCausalLM.forward` down to every decoder layer, so `lm(..., flamingo_xattn=XattnInputs)`
  reaches each wrapper, which pops it before calling the original layer. Nothing is stored
  on a module between calls, so gradient checkpointing and threads are safe.
"""

from __future__ import annotations

import inspect
import logging
from typing import Any

import torch
from torch import nn

from flamingo.model.hub import hub_kwargs
from flamingo.model.xattn import GatedCrossAttentionBlock, XattnInputs

logger = logging.getLogger(__name__)

XATTN_KWARG = "flamingo_xattn"


def build_causal_lm(
    *,
    path: str | None,
    config: dict[str, Any] | None,
    vocab_size: int,
    attn_implementation: str,
    special_token_ids: dict[str, int | None] | None = None,
) -> nn.Module:
    """A causal LM from a local directory / hub name (weights) or a config dict (random).

    For a random LM, `vocab_size` and `special_token_ids` (bos/eos/pad ids of the tokenizer)
    fill the config fields the dict leaves out.
    """
    from transformers import AutoConfig, AutoModelForCausalLM

    if path is not None:
        # a hub name: the local cache, and the network unless the Hub is offline (hub_kwargs)
        return AutoModelForCausalLM.from_pretrained(
            path, attn_implementation=attn_implementation, **hub_kwargs()
        )
    kwargs = dict(config)
    model_type = kwargs.pop("model_type")
    kwargs.setdefault("vocab_size", vocab_size)
    for key, value in (special_token_ids or {}).items():
        kwargs.setdefault(key, value)
    hf_config = AutoConfig.for_model(model_type, **kwargs)
    return AutoModelForCausalLM.from_config(hf_config, attn_implementation=attn_implementation)


def text_config(lm: nn.Module) -> Any:
    config = lm.config
    return config.get_text_config() if hasattr(config, "get_text_config") else config


def find_decoder_layers(lm: nn.Module) -> nn.ModuleList:
    """The LM's decoder-layer ModuleList: the one whose length is `num_hidden_layers`."""
    num_layers = text_config(lm).num_hidden_layers
    candidates = [
        (name, module)
        for name, module in lm.named_modules()
        if isinstance(module, nn.ModuleList) and len(module) == num_layers
    ]
    if not candidates:
        raise ValueError(
            f"{type(lm).__name__}: found no nn.ModuleList of {num_layers} decoder layers; "
            "supported: GPT-2, OPT, Llama, Mistral, Qwen2, GPT-NeoX and other standard decoders"
        )
    # The shallowest match is the decoder stack (nested lists of that length are sub-blocks).
    name, layers = min(candidates, key=lambda item: item[0].count("."))
    logger.debug("decoder layers of %s at %s", type(lm).__name__, name)
    return layers


class XattnDecoderLayer(nn.Module):
    """A GATED XATTN-DENSE block followed by the original (frozen) decoder layer.

    Attribute reads that this wrapper does not answer (e.g. `attention_type`, read by
    Mistral/Qwen2 to pick a mask) go to the wrapped layer.
    """

    def __init__(self, *, xattn: GatedCrossAttentionBlock, decoder_layer: nn.Module) -> None:
        super().__init__()
        self.xattn = xattn
        self.decoder_layer = decoder_layer

    def __getattr__(self, name: str) -> Any:
        try:
            return super().__getattr__(name)
        except AttributeError:
            return getattr(self._modules["decoder_layer"], name)

    def forward(self, hidden_states: torch.Tensor, *args: Any, **kwargs: Any) -> Any:
        inputs: XattnInputs | None = kwargs.pop(XATTN_KWARG, None)
        if inputs is not None:
            hidden_states = self.xattn(hidden_states, inputs)
        # Without media (a text-only call) the block is skipped: text-only LM behaviour.
        return self.decoder_layer(hidden_states, *args, **kwargs)


def insert_xattn_blocks(
    lm: nn.Module, *, every: int, dim_visual: int, num_heads: int, dim_head: int, ff_mult: float
) -> int:
    """Insert a gated block before decoder layers 0, every, 2*every, ...; returns how many."""
    layers = find_decoder_layers(lm)
    dim = text_config(lm).hidden_size
    count = 0
    for i in range(0, len(layers), every):
        block = GatedCrossAttentionBlock(
            dim=dim, dim_visual=dim_visual, num_heads=num_heads, dim_head=dim_head, ff_mult=ff_mult
        )
        layers[i] = XattnDecoderLayer(xattn=block, decoder_layer=layers[i])
        count += 1
    return count


def cache_argument_name(lm: nn.Module) -> str:
    """`cache` in transformers >= 5.x (renamed), `past_key_values` before."""
    params = inspect.signature(lm.forward).parameters
    return "cache" if "cache" in params else "past_key_values"


def output_cache(output: Any) -> Any:
    return getattr(output, "cache", None) if hasattr(output, "cache") else output.past_key_values
