"""Text for the character language model: the bundled corpora, and turning any text into character ids.

`prepare_text` is the one door every text goes through, bundled or pasted by a learner. It
normalises Unicode to NFC (so "é" typed as e + combining accent is one character, as it looks),
turns Windows and old-Mac line ends into "\\n" and tabs into spaces, and drops every other control or
format character (they are invisible and would only waste vocabulary). A text that is empty or
shorter than one training window (seq_length + 1 characters: the inputs and the next character
after each) is refused with a CorpusError that says how much is needed; a huge text is cut to
`max_chars` and a text with more than MAX_VOCAB distinct characters keeps the most frequent ones
and maps the rest to PLACEHOLDER. Those two are not errors: the result carries `notes` the page shows.

A names corpus (one name per line, like the dinosaurs) is kept as lines joined by "\\n", so the
newline doubles as the end-of-name symbol: the model learns where a name stops, and a sampler that
starts after a newline and stops at the next one writes exactly one name.
"""

from __future__ import annotations

import collections
import dataclasses
import unicodedata
from collections.abc import Iterable
from pathlib import Path

import numpy as np

ASSETS = Path(__file__).resolve().parents[2] / "assets" / "text"
MAX_CHARS = 200_000  # longer texts are cut (with a note): more only slows the page, the model cannot use it in a session
MAX_VOCAB = 256  # distinct characters kept; rarer ones become PLACEHOLDER
PLACEHOLDER = "\N{REPLACEMENT CHARACTER}"  # "�"


@dataclasses.dataclass(frozen=True)
class Corpus:
    file: str  # under assets/text/
    label: str
    description: str
    names: bool  # one item per line, newline = end of item


CORPORA: dict[str, Corpus] = {
    "dinosaurs": Corpus("dinosaurs.txt", "Dinosaur names",
                        "1,161 dinosaur genus names, one per line (Tyrannosaurus, Zuul, …).", True),
    "shakespeare": Corpus("shakespeare.txt", "Shakespeare's sonnets",
                          "Sonnets I–XXX, LV, LXXIII, CXVI and CXXX (about 21,000 characters).", False),
}


class CorpusError(ValueError):
    """The text cannot be used for training; the message says why and what would fix it."""


@dataclasses.dataclass(frozen=True)
class Prepared:
    """A text ready for training: `ids` (N,) int64 indexes into `vocab` (characters, sorted)."""

    text: str  # after normalisation, capping and placeholder mapping
    vocab: tuple[str, ...]
    ids: np.ndarray
    names: bool
    notes: tuple[str, ...] = ()

    @property
    def vocab_size(self) -> int:
        return len(self.vocab)

    def encode(self, text: str) -> list[int]:
        """Character ids of text; characters outside the vocabulary become PLACEHOLDER if the vocabulary has it."""
        index = {c: i for i, c in enumerate(self.vocab)}
        fallback = index.get(PLACEHOLDER)
        missing = sorted({c for c in text if c not in index})
        if missing and fallback is None:
            shown = ", ".join(repr(c) for c in missing[:8])
            raise CorpusError(f"the model has never seen these characters: {shown}. Use only characters from its training text.")
        return [index.get(c, fallback) for c in text]

    def decode(self, ids: Iterable[int]) -> str:
        return "".join(self.vocab[i] for i in ids)


def load_corpus(name: str) -> str:
    """The raw text of a bundled corpus (names corpora: one name per line, no blank lines)."""
    if name not in CORPORA:
        raise CorpusError(f"unknown corpus {name!r}; choose one of {', '.join(CORPORA)} or paste your own text.")
    text = (ASSETS / CORPORA[name].file).read_text(encoding="utf-8")
    if CORPORA[name].names:
        return "\n".join(line.strip() for line in text.splitlines() if line.strip()) + "\n"
    return text


def clean(text: str) -> str:
    """NFC, "\\n" line ends, tabs as spaces, no other control/format/unassigned characters."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    return "".join(c for c in text if c == "\n" or not unicodedata.category(c).startswith("C"))


def prepare_text(text: str, seq_length: int, max_chars: int = MAX_CHARS, names: bool = False) -> Prepared:
    """Clean, cap and encode text for windows of seq_length characters (see the module docstring)."""
    if not isinstance(text, str):
        raise CorpusError("the text must be a string of characters.")
    length = len(text)
    text, notes = clean(text[:4 * max_chars]), []  # cleaning only shrinks a text; no need to clean megabytes to keep max_chars
    if not text.strip():
        raise CorpusError("the text is empty: paste some text (a few thousand characters or more trains best).")
    if len(text) > max_chars:
        notes.append(f"Your text has {length:,} characters; only the first {max_chars:,} are used.")
        text = text[:max_chars]
    needed = seq_length + 1
    if len(text) < needed:
        raise CorpusError(f"the text has {len(text):,} characters, but one training window of sequence length {seq_length} "
                          f"needs {needed:,} (the inputs plus the next character after each). Paste more text or "
                          "shorten the sequence length; a few thousand characters train far better.")
    counts = collections.Counter(text)
    if len(counts) > MAX_VOCAB:
        keep = {c for c, _ in counts.most_common(MAX_VOCAB - 1)}
        rare = len(counts) - len(keep)
        text = "".join(c if c in keep else PLACEHOLDER for c in text)
        notes.append(f"Your text uses {len(counts):,} different characters; the {rare:,} rarest are shown as "
                     f"{PLACEHOLDER} so that the vocabulary stays at {MAX_VOCAB}.")
    vocab = tuple(sorted(set(text)))
    index = {c: i for i, c in enumerate(vocab)}
    ids = np.fromiter((index[c] for c in text), dtype=np.int64, count=len(text))
    return Prepared(text=text, vocab=vocab, ids=ids, names=names, notes=tuple(notes))


def prepare_corpus(name: str, seq_length: int, max_chars: int = MAX_CHARS) -> Prepared:
    return prepare_text(load_corpus(name), seq_length, max_chars, names=CORPORA[name].names)
