"""Figures of the pretrained-CNN page (EfficientNet-Lite0 on the CPU, two threads, the bundled dog photo).

- cnn.model_load_ms: building the network and loading its ImageNet weights, as the first visitor pays it (uncached).
- cnn.pretrained_forward_ms: decode the JPEG bytes (imageio.open_image), then `analyse`: preprocessing, one forward
  pass with every stage's feature maps, the channel rankings and the top-5 (target < 500 ms; median of 7 after a warm-up).
- cnn.gradcam_ms: Grad-CAM of the top class at the head stage, from the image (target < 1000 ms; median of 7).
- cnn.saliency_ms: the input-gradient saliency map of the top class (median of 7).
- cnn.actmax_ms_per_step: one ActivationMaxTrainer step (ITERATIONS_PER_STEP Adam iterations) at 128 px, stage4 (median of 7).
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable, Iterator

from engine.device import configure_threads

Figure = tuple[str, float, str]
REPEATS = 7


def _log(message: str) -> None:
    print(f"[bench.cnn_pretrained] {message}", file=sys.stderr, flush=True)


def _median_ms(work: Callable[[], object], repeats: int = REPEATS) -> float:
    work()  # warm-up: first-call allocations and kernel selection
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def run(want: Callable[[str], bool]) -> Iterator[Figure]:
    configure_threads(2)
    from engine.vision import efficientnet, explain
    from engine.vision.imageio import open_image
    from engine.vision.samples import FOLDER, SAMPLES

    if want("cnn.model_load"):
        start = time.perf_counter()
        efficientnet.load_model.__wrapped__()  # a fresh build, whatever the process cache holds
        yield "cnn.model_load_ms", 1000 * (time.perf_counter() - start), "ms"
    model = efficientnet.load_model()
    data = (FOLDER / SAMPLES["dog"].file).read_bytes()
    image = open_image(data)
    if want("cnn.pretrained_forward"):
        analysis = explain.analyse(open_image(data), model)
        _log(f"top-5 of the dog photo: {', '.join(f'{name} {p:.2f}' for _, name, p in analysis.top5)}")
        yield "cnn.pretrained_forward_ms", _median_ms(lambda: explain.analyse(open_image(data), model)), "ms"
    if want("cnn.gradcam"):
        yield "cnn.gradcam_ms", _median_ms(lambda: explain.grad_cam(image, stage="head", model=model)), "ms"
    if want("cnn.saliency"):
        yield "cnn.saliency_ms", _median_ms(lambda: explain.saliency(image, model=model)), "ms"
    if want("cnn.actmax"):
        trainer = explain.ActivationMaxTrainer(explain.ActivationMaxConfig(size=128, steps=1000), "cpu")
        _log(f"activation maximisation: stage4 channel 0 at 128 px, {explain.ITERATIONS_PER_STEP} iterations a step")
        yield "cnn.actmax_ms_per_step", _median_ms(trainer.step), "ms"
        _log(f"  activation {trainer.activation:.3g} after {trainer.iterations} iterations")
