"""Figures of the Style-transfer page (EfficientNet-Lite0 backbone, the dog in the style of The Starry Night, on 2 cores).

- style.first_preview_s: building a StyleTrainer at 256 px from a cold model cache (weights loaded, images fitted,
  targets computed) plus its first runtime step, after which the page has a generated image (target < 2 s).
- style.time_to_styled_s: the default config (L-BFGS, from the content image, 256 px) from construction until the
  style loss J_style is at most 10% of its value at the content image: our criterion of "visibly carries the style"
  (target < 20 s); style.iterations_to_styled is the same in iterations, a figure that machine load does not change.
- style.lbfgs_s_per_iter.<size>, style.adam_s_per_iter.<size>: seconds per iteration (one forward and backward pass;
  for L-BFGS one function evaluation) at 128, 256 and 512 px, after a warm-up step.
- style.baseline_time_to_styled_s and style.baseline_300_steps_s: the plain method of the PyTorch tutorial (L-BFGS with
  torch's defaults, 20 iterations per call and 100 curvature pairs, pixels clamped inside the closure, no total
  variation, 300 evaluations from the content image) on the same backbone and losses, because VGG-19 is absent here;
  where `vgg19_status()` finds torchvision and the cached weights, the same recipe also runs on VGG-19 with its own
  Gatys layers (style.vgg19_baseline_300_steps_s). style.baseline_iterations_to_styled: its evaluations to the criterion.
- With CUDA: style.<optimizer>_s_per_iter.cuda.<size> at 512 and 1024 px and style.time_to_styled_s.cuda.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator

import torch

from engine.device import configure_threads
from engine.style.backbone import vgg19_status
from engine.style.transfer import StyleConfig, StyleTrainer, with_backbone
from engine.vision import efficientnet

Figure = tuple[str, float, str]
STYLED = 0.1  # "styled": J_style at most this fraction of its value at the content image
SIZES = (128, 256, 512)
TIMED_ITERATIONS = {128: 30, 256: 14, 512: 6, 1024: 4}


def _log(message: str) -> None:
    print(f"[bench.style] {message}", file=sys.stderr, flush=True)


def _sync(device: str) -> None:
    if device == "cuda":
        torch.cuda.synchronize()


def time_to_styled(config: StyleConfig, device: str = "cpu", cold: bool = False) -> tuple[float, float, int]:
    """(seconds to the first image, seconds until J_style ≤ STYLED × its start value, iterations) of one run."""
    if cold:
        efficientnet.load_model.cache_clear()
    start = time.perf_counter()
    trainer = StyleTrainer(config, device)
    trainer.per_step, per_step = 1, trainer.per_step  # a first step of one evaluation: J_style at the content image
    initial = trainer.step()["style_loss"]
    trainer.image()
    first = time.perf_counter() - start
    trainer.per_step = per_step
    while not trainer.done and trainer.step()["style_loss"] > STYLED * initial:
        pass
    _sync(device)
    return first, time.perf_counter() - start, trainer.iteration


def seconds_per_iteration(config: StyleConfig, device: str = "cpu") -> float:
    trainer = StyleTrainer(config, device)
    trainer.step()  # warm-up: allocations, L-BFGS's first short step
    _sync(device)
    start, before = time.perf_counter(), trainer.iteration
    while trainer.iteration - before < TIMED_ITERATIONS[config.size] and not trainer.done:
        trainer.step()
    _sync(device)
    return (time.perf_counter() - start) / (trainer.iteration - before)


def tutorial_recipe(config: StyleConfig, device: str = "cpu", evaluations: int = 300) -> tuple[float, int, float]:
    """The PyTorch tutorial's plain method on config's backbone and losses: (seconds to styled, evaluations to styled,
    seconds for all); NaN and -1 when it never gets there."""
    start = time.perf_counter()  # from construction, like time_to_styled (but with the model already loaded)
    trainer = StyleTrainer(config.replace(tv_weight=0.0, iterations=evaluations + 20), device)
    optimizer = torch.optim.LBFGS([trainer.pixels])  # torch's defaults: max_iter 20, history 100, no line search
    initial, styled_at, styled_iterations = None, float("nan"), -1

    def closure() -> torch.Tensor:
        nonlocal initial, styled_at, styled_iterations
        with torch.no_grad():
            trainer.pixels.clamp_(0.0, 1.0)  # as the tutorial does, inside the closure
        loss = trainer.evaluate()
        style = float(trainer.terms["style_loss"])
        initial = style if initial is None else initial
        if styled_at != styled_at and style <= STYLED * initial:  # NaN until the criterion is first met
            styled_at, styled_iterations = time.perf_counter() - start, trainer.iteration
        return loss

    while trainer.iteration < evaluations:
        optimizer.step(closure)
    _sync(device)
    return styled_at, styled_iterations, time.perf_counter() - start


def _cpu_figures(want: Callable[[str], bool]) -> Iterator[Figure]:
    config = StyleConfig(size=256, iterations=300)
    if want("style.first_preview_s") or want("style.time_to_styled_s"):
        first, styled, iterations = time_to_styled(config, cold=True)
        _log(f"256 px, L-BFGS: first image after {first:.2f} s, J_style ≤ {STYLED:.0%} of its start after {iterations} iterations")
        yield "style.first_preview_s", first, "s"
        yield "style.time_to_styled_s", styled, "s"
        yield "style.iterations_to_styled", iterations, "iterations"
    for optimizer in ("lbfgs", "adam"):
        for size in SIZES:
            name = f"style.{optimizer}_s_per_iter.{size}"
            if want(name):
                yield name, seconds_per_iteration(config.replace(size=size, optimizer=optimizer)), "s"
    if want("style.baseline_time_to_styled_s") or want("style.baseline_300_steps_s"):
        _log("baseline: the PyTorch tutorial's recipe (L-BFGS defaults, clamp in the closure, no TV, 300 evaluations) "
             "on EfficientNet-Lite0, since VGG-19 is absent")
        styled, iterations, total = tutorial_recipe(config)
        yield "style.baseline_time_to_styled_s", styled, "s"
        yield "style.baseline_iterations_to_styled", iterations, "iterations"
        yield "style.baseline_300_steps_s", total, "s"
    available, reason = vgg19_status()
    if available and (want("style.vgg19_baseline_time_to_styled_s") or want("style.vgg19_baseline_300_steps_s")):
        styled, _, total = tutorial_recipe(with_backbone(config, "vgg19"))
        yield "style.vgg19_baseline_time_to_styled_s", styled, "s"
        yield "style.vgg19_baseline_300_steps_s", total, "s"
    elif not available:
        _log(f"VGG-19 comparison skipped: {reason}")


def _cuda_figures(want: Callable[[str], bool]) -> Iterator[Figure]:
    config = StyleConfig(size=512, iterations=300)
    if want("style.time_to_styled_s.cuda"):
        _, styled, iterations = time_to_styled(config, "cuda")
        _log(f"CUDA 512 px: styled after {iterations} iterations")
        yield "style.time_to_styled_s.cuda", styled, "s"
    for optimizer in ("lbfgs", "adam"):
        for size in (512, 1024):
            name = f"style.{optimizer}_s_per_iter.cuda.{size}"
            if want(name):
                yield name, seconds_per_iteration(config.replace(size=size, optimizer=optimizer), "cuda"), "s"


def run(want: Callable[[str], bool]) -> Iterator[Figure]:
    configure_threads(2)
    yield from _cpu_figures(want)
    if torch.cuda.is_available():
        yield from _cuda_figures(want)
    else:
        _log("no CUDA here: the 512 and 1024 px GPU figures are skipped")
