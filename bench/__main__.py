"""Entry point: run the benchmark groups whose figures match the given name prefixes."""

from __future__ import annotations

import itertools
import sys

from bench import attention, attention_cost, cnn_pretrained, cnn_shapes, labs, optimizers, playground, positional, runtime, sequence, style

GROUPS = {"runtime": runtime.run, "playground": playground.run, "optimizers": optimizers.run,
          "positional": positional.run, "attention": lambda want: itertools.chain(attention.run(want), attention_cost.run(want)),
          "cnn": lambda want: itertools.chain(cnn_pretrained.run(want), cnn_shapes.run(want)),
          "style": style.run, "sequence": sequence.run, "labs": labs.run}


def main(prefixes: list[str]) -> int:
    def want(name: str) -> bool:
        return not prefixes or any(name.startswith(p) for p in prefixes)

    selected = [run for group, run in GROUPS.items() if not prefixes or any(group.startswith(p.split(".")[0]) for p in prefixes)]
    if not selected:
        print(f"no benchmark matches {' '.join(prefixes)}; groups: {', '.join(GROUPS)}", file=sys.stderr)
        return 2
    for run in selected:
        for name, value, unit in run(want):
            if want(name):
                print(f"{name} {value:.4g} {unit}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
