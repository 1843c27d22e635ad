"""Benchmark: our Flamingo vs OpenFlamingo 2.0.1 on the same tiny LM and vision tower.

    .venv/bin/pip install -e '.[bench]'   # open-flamingo==2.0.1 (--no-deps) and einops
    .venv/bin/python bench/model.py [--steps 10] [--batch 4]

Both models wrap the same random Llama LM and CLIP vision tower (same weights), with the same
resampler and cross-attention shapes (OpenFlamingo's defaults: 6 resampler layers, 8 heads of
64, 64 latents, FFW x4), on one CPU thread and the same batch. Reported, as medians:
- training step time (forward + backward + AdamW step on the trainable parameters), and the
  ratio ours / OpenFlamingo's (target <= 0.9);
- memory: activations saved for backward plus trainable parameters, gradients and AdamW
  state (bytes, counted exactly; CPU has no allocator peak counter), or the CUDA peak on GPU;
- generation tokens/s: ours with the media cache, ours re-encoding media every step, and
  OpenFlamingo's (HF generate, media cached).
When a GPU is present the same script also reports training tokens/s and MFU for a
mid-size configuration in bf16.

OpenFlamingo imports open_clip at package import but only its factory uses it; the factory is
bypassed here (the vision tower comes from transformers), so a stand-in module is registered
when open_clip is absent. Its GPT-2 path breaks on transformers 5 (decoder blocks now take
positional arguments its wrapper rejects); the Llama path works. If OpenFlamingo cannot be
imported or built, the script says why and reports our numbers alone.
"""

from __future__ import annotations

import argparse
import copy
import statistics
import sys
import time
import types
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flamingo.model.config import FlamingoConfig  # noqa: E402
from flamingo.model.flamingo import Flamingo  # noqa: E402

VISION = dict(
    model_type="clip_vision_model",
    image_size=64,
    patch_size=8,
    hidden_size=128,
    intermediate_size=512,
    num_hidden_layers=2,
    num_attention_heads=4,
)
LM = dict(
    model_type="llama",
    hidden_size=256,
    intermediate_size=1024,
    num_hidden_layers=4,
    num_attention_heads=8,
    num_key_value_heads=8,
    max_position_embeddings=512,
)
# OpenFlamingo's fixed shapes (helpers.py defaults), so both sides do the same work.
SHAPES = dict(
    resampler_depth=6,
    resampler_dim=128,
    resampler_num_heads=8,
    resampler_dim_head=64,
    resampler_ff_mult=4.0,
    num_latents=64,
    max_num_frames=1,
    xattn_every=1,
    xattn_num_heads=8,
    xattn_dim_head=64,
    xattn_ff_mult=4.0,
)


def build_ours(config: FlamingoConfig) -> Flamingo:
    return Flamingo(config)


def build_open_flamingo(ours: Flamingo):
    """OpenFlamingo around copies of our frozen LM and vision tower (same weights, unwrapped)."""
    if "open_clip" not in sys.modules:
        try:
            import open_clip  # noqa: F401
        except ImportError:
            sys.modules["open_clip"] = types.ModuleType("open_clip")  # only the factory uses it
    from open_flamingo import Flamingo as OpenFlamingo
    from open_flamingo.src.flamingo_lm import FlamingoLMMixin
    from open_flamingo.src.utils import extend_instance
    from transformers import AutoConfig, AutoModelForCausalLM

    kwargs = dict(ours.config.lm_config)
    hf_config = AutoConfig.for_model(kwargs.pop("model_type"), vocab_size=len(ours.tokenizer), **kwargs)
    torch.manual_seed(ours.config.init_seed)
    lm = AutoModelForCausalLM.from_config(hf_config, attn_implementation="sdpa")
    extend_instance(lm, FlamingoLMMixin)  # OpenFlamingo's runtime class patching
    lm.set_decoder_layers_attr_name("model.layers")

    class Visual(torch.nn.Module):  # open_clip's `.visual` contract: (pooled, patch tokens)
        def __init__(self, tower):
            super().__init__()
            self.tower = tower

        def forward(self, pixels):
            hidden = self.tower(pixel_values=pixels).last_hidden_state
            return hidden[:, 0], hidden[:, 1:]

    vision = types.SimpleNamespace(visual=Visual(copy.deepcopy(ours.vision.tower)))
    model = OpenFlamingo(
        vision,
        lm,
        ours.eoc_token_id,
        ours.media_token_id,
        vis_dim=ours.vision.hidden_size,
        cross_attn_every_n_layers=1,
    )
    model.requires_grad_(False)
    model.perceiver.requires_grad_(True)
    model.lang_encoder.gated_cross_attn_layers.requires_grad_(True)
    model.lang_encoder.get_input_embeddings().requires_grad_(True)  # OpenFlamingo's default
    model.eval()
    return model


def make_batch(model: Flamingo, batch: int, length: int, num_images: int) -> dict[str, torch.Tensor]:
    gen = torch.Generator().manual_seed(0)
    ids = torch.randint(3, model.media_token_id, (batch, length), generator=gen)
    for k in range(num_images):  # one <image> at the start of each equal chunk
        ids[:, k * (length // num_images)] = model.media_token_id
    ids[:, -1] = model.eoc_token_id
    size = model.image_size
    media = torch.randn(batch, num_images, 1, 3, size, size, generator=gen)
    return dict(input_ids=ids, media=media, attention_mask=torch.ones_like(ids))


def step_fn(model, batch, kind):
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=1e-4)

    def step():
        optimizer.zero_grad(set_to_none=True)
        if kind == "ours":
            loss = model(
                batch["input_ids"],
                batch["media"],
                attention_mask=batch["attention_mask"],
                labels=batch["input_ids"],
            ).loss
        else:
            loss = model(
                batch["media"],
                batch["input_ids"],
                attention_mask=batch["attention_mask"],
                labels=batch["input_ids"],
            ).loss
        loss.backward()
        optimizer.step()
        return loss

    return step, params, optimizer


def time_it(fn, steps: int, warmup: int = 2) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        fn()
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def time_interleaved(fns: dict, steps: int, warmup: int = 2) -> dict[str, float]:
    """Median seconds of each fn, run alternately so load changes on a shared CPU hit both alike."""
    for _ in range(warmup):
        for fn in fns.values():
            fn()
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(steps):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def training_memory_bytes(step, params, optimizer) -> int:
    """Bytes of tensors saved for backward in one step + trainable params, grads, AdamW state."""
    saved = 0

    def pack(t):
        nonlocal saved
        saved += t.numel() * t.element_size()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        step()
    state = sum(
        t.numel() * t.element_size()
        for s in optimizer.state.values()
        for t in s.values()
        if torch.is_tensor(t)
    )
    weights = sum(p.numel() * p.element_size() * 2 for p in params)  # parameter + its gradient
    return saved + state + weights


def tokens_per_second(generate, batch, new_tokens: int, repeats: int = 3) -> float:
    seconds = time_it(generate, repeats, warmup=1)
    return batch * new_tokens / seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Flamingo vs OpenFlamingo 2.0.1")
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--length", type=int, default=128)
    parser.add_argument("--images", type=int, default=2)
    parser.add_argument("--new-tokens", type=int, default=32)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    torch.manual_seed(0)

    config = FlamingoConfig.preset("tiny", lm_config=LM, vision_config=VISION, **SHAPES)
    ours = build_ours(config)
    batch = make_batch(ours, args.batch, args.length, args.images)
    print(
        f"config: LM llama d={LM['hidden_size']} L={LM['num_hidden_layers']}, CLIP {VISION['image_size']}px "
        f"d={VISION['hidden_size']}, batch {args.batch} x {args.length} tokens, {args.images} images/row, "
        f"1 CPU thread, median of {args.steps} steps"
    )
    results = {"ours": {}}
    steps = {}
    step, params, opt = step_fn(ours, batch, "ours")
    steps["ours"] = step
    results["ours"]["memory"] = training_memory_bytes(step, params, opt)
    results["ours"]["trainable"] = sum(p.numel() for p in params)
    try:
        theirs = build_open_flamingo(ours)
        step_t, params_t, opt_t = step_fn(theirs, batch, "open_flamingo")
        steps["open_flamingo"] = step_t
        results["open_flamingo"] = dict(
            memory=training_memory_bytes(step_t, params_t, opt_t),
            trainable=sum(p.numel() for p in params_t),
        )
    except Exception as error:  # noqa: BLE001 - the peer may not import/build; we say why and go on
        print(f"OpenFlamingo 2.0.1 unavailable: {type(error).__name__}: {error}")
        theirs = None
    for name, seconds in time_interleaved(steps, args.steps).items():
        results[name]["step_s"] = seconds

    prompt = batch["input_ids"][:, : args.length // 2]
    prompt_media = batch["media"][:, :1]
    prompt = prompt.clone()
    prompt[:, 1:][prompt[:, 1:] == ours.media_token_id] = 5  # one image in the prompt
    gen_kwargs = dict(max_new_tokens=args.new_tokens, stop_token_ids=[])
    results["ours"]["gen_tok_s"] = tokens_per_second(
        lambda: ours.generate(prompt, prompt_media, **gen_kwargs), args.batch, args.new_tokens
    )
    results["ours"]["gen_tok_s_no_media_cache"] = tokens_per_second(
        lambda: ours.generate(prompt, prompt_media, use_media_cache=False, **gen_kwargs),
        args.batch,
        args.new_tokens,
    )
    if theirs is not None:
        try:

            def their_generate():
                return theirs.generate(
                    prompt_media,
                    prompt,
                    attention_mask=torch.ones_like(prompt),
                    max_new_tokens=args.new_tokens,
                    min_new_tokens=args.new_tokens,
                    eos_token_id=None,
                    pad_token_id=ours.tokenizer.pad_token_id,
                )

            results["open_flamingo"]["gen_tok_s"] = tokens_per_second(
                their_generate, args.batch, args.new_tokens
            )
        except Exception as error:  # noqa: BLE001
            print(f"OpenFlamingo generate failed: {type(error).__name__}: {error}")
    report(results)
    if torch.cuda.is_available():
        gpu_report(args)
    return 0


def report(results: dict) -> None:
    rows = [
        ("training step (s, median)", "step_s", "{:.4f}"),
        ("train memory (MiB)", "memory", "{:.1f}"),
        ("trainable params", "trainable", "{:,}"),
        ("generate tok/s (media cached)", "gen_tok_s", "{:.1f}"),
        ("generate tok/s (no media cache)", "gen_tok_s_no_media_cache", "{:.1f}"),
    ]
    theirs = results.get("open_flamingo", {})
    print(f"{'metric':34s} {'ours':>14s} {'open_flamingo':>14s} {'ratio':>7s}")
    for label, key, fmt in rows:
        a, b = results["ours"].get(key), theirs.get(key)
        scale = 1 / 2**20 if key == "memory" else 1

        def show(v, fmt=fmt, scale=scale):
            return fmt.format(v * scale) if v is not None else "-"

        ratio = f"{a / b:.2f}" if a is not None and b else "-"
        print(f"{label:34s} {show(a):>14s} {show(b):>14s} {ratio:>7s}")
    if theirs.get("step_s"):
        ratio = results["ours"]["step_s"] / theirs["step_s"]
        print(
            f"step time ratio ours/OpenFlamingo = {ratio:.2f} (target <= 0.90): "
            f"{'MET' if ratio <= 0.9 else 'NOT MET'}"
        )


def gpu_report(args) -> None:
    """Training tokens/s and MFU of a mid-size model (Llama d=2048, 16 layers) in bf16 on one GPU."""
    device = torch.device("cuda")
    lm = dict(
        model_type="llama",
        hidden_size=2048,
        intermediate_size=5632,
        num_hidden_layers=16,
        num_attention_heads=16,
        num_key_value_heads=16,
        max_position_embeddings=2048,
        vocab_size=32000,
    )
    vision = dict(
        model_type="clip_vision_model",
        image_size=224,
        patch_size=14,
        hidden_size=1024,
        intermediate_size=4096,
        num_hidden_layers=24,
        num_attention_heads=16,
    )
    config = FlamingoConfig.preset("flamingo-3b", lm_config=lm, vision_config=vision, xattn_every=4)
    model = Flamingo(config).to(device=device, dtype=torch.bfloat16)
    batch = {k: v.to(device) for k, v in make_batch(model, 8, 1024, 4).items()}
    batch["media"] = batch["media"].to(torch.bfloat16)
    step, params, _ = step_fn(model, batch, "ours")
    torch.cuda.reset_peak_memory_stats()
    seconds = time_it(step, 5)
    tokens = batch["input_ids"].numel()
    total = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in params)
    # 2 FLOPs/param/token forward, 2 backward through activations, 2 more for trainable weights.
    flops = tokens * (4 * total + 2 * trainable)
    peak = torch.cuda.get_device_properties(0)
    print(
        f"GPU {peak.name}: bf16 train {tokens / seconds:,.0f} tok/s, step {seconds:.3f}s, "
        f"MFU {flops / seconds / 989e12:.1%} of 989 TFLOP/s, peak memory "
        f"{torch.cuda.max_memory_allocated() / 2**30:.1f} GiB"
    )


if __name__ == "__main__":
    sys.exit(main())
