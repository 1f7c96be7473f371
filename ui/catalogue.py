"""The pages of the playground as data: file, title, icon and what each teaches.

`app.py` builds the navigation from this table and the home page builds its cards from it, so
a page is registered in exactly one place.
"""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class PageEntry:
    key: str  # the file's stem, the URL path and the state namespace, all one word
    title: str
    icon: str
    teaches: str

    @property
    def file(self) -> str:
        # Streamlit resolves a new session's first URL against the pages/ folder's file stems
        # before st.navigation runs, so a URL path that differs from its file's stem shows a
        # "page not found" dialog on deep links. One key for both keeps them equal.
        return f"pages/{self.key}.py"


PAGES: tuple[PageEntry, ...] = (
    PageEntry("playground", "Playground", ":material/hub:",
              "Build a network, train it live on 2-D data, and watch the decision boundary, "
              "every neuron, the gradients and the metrics change."),
    PageEntry("optimizers", "Optimizers", ":material/trending_down:",
              "Race SGD, momentum, RMSprop, Adam and more on loss surfaces, and see a real "
              "network's loss landscape."),
    PageEntry("cnn", "CNN", ":material/grid_on:",
              "Convolution arithmetic and kernels by hand, a CNN trained live, and a pretrained "
              "CNN's feature maps and Grad-CAM on your photos."),
    PageEntry("attention", "Attention", ":material/visibility:",
              "Scaled dot-product attention step by step on your own text, and a tiny "
              "transformer whose heads form while you watch."),
    PageEntry("positional", "Positional encodings", ":material/format_list_numbered:",
              "Why attention needs order, and how sinusoidal, learned, RoPE and ALiBi encode it."),
    PageEntry("style", "Style transfer", ":material/palette:",
              "Neural style transfer with Gram matrices, optimised live and explained term by term."),
    PageEntry("sequence", "Sequence models", ":material/timeline:",
              "RNN, GRU and LSTM trained live on characters, with gates and gradients through time."),
    PageEntry("labs", "Labs", ":material/science:",
              "The claims of deep-learning courses, each reproduced with one click and a verdict "
              "computed from the evidence."),
)


def entry(key: str) -> PageEntry:
    return next(p for p in PAGES if p.key == key)
