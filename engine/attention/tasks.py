"""Toy sequence tasks for the tiny transformer, generated on the fly from a seeded torch.Generator.

A task turns a source of n tokens into an answer of k tokens:

- "copy":     the answer is the source (k = n). No attention needed for an encoder: the warm-up.
- "reverse":  x_1 … x_n → x_n … x_1 (k = n). Position i must read position n+1−i: the anti-diagonal.
- "sort":     the source's tokens in ascending order, repeats kept (k = n).
- "add":      "a+b" with d = (n−1)//2 digits each, written most significant digit first, in base
              `vocab` (decimal at the default 10); a trailing "_" fills an even n. The answer is a+b
              as d+1 digits with leading zeros: at n = 8, "123+456_" → "0579".
- "brackets": letters with 1 … n//2 balanced pairs of "(" and ")" at random places among them; the
              answer at each bracket is the position (0-based) of its partner, at each letter a blank
              "_": "a(b)" → "_ 3 _ 1". The partner can be anywhere, so a bracket must look far, and
              which ")" closes a "(" depends on every bracket between them (their depth).

Tokens: three special ones first — "_" (blank), "+" (add's operator) and "=" (the decoder's
separator) — then the task's symbols: the digits 0 … vocab−1, or for "brackets" "(", ")", `vocab`
letters a, b, … and the position tokens 0 … MAX_LENGTH−1.

Two layouts of the same problem, one per architecture:

- encoder (non-causal, one output per input position): inputs = the source (n tokens); the target
  at each position is the answer's token there, the answer right-aligned (add's k = d+1 digits sit
  in the last k places; the places before are blank and unscored).
- decoder (causal, predicts the next token): the sequence source "=" answer, less its last token,
  is the input (n + k tokens); the target at each position is the next token, and only the k
  answer tokens are scored. The model writes the answer after "=" one token at a time.
"""

from __future__ import annotations

import torch

TASKS = ("copy", "reverse", "sort", "add", "brackets")
TASK_LABELS = {"copy": "copy", "reverse": "reverse", "sort": "sort", "add": "add two numbers", "brackets": "matching brackets"}
DESCRIPTIONS = {
    "copy": "Repeat the sequence: 3 1 4 1 → 3 1 4 1.",
    "reverse": "Write the sequence backwards: 3 1 4 1 → 1 4 1 3.",
    "sort": "Sort the tokens, smallest first: 3 1 4 1 → 1 1 3 4.",
    "add": "Add two numbers written digit by digit: 12+34 → 046.",
    "brackets": "At each bracket, the position of its partner (letters get _): a ( b ) → _ 3 _ 1.",
}
ARCHITECTURES = ("encoder", "decoder")
SPECIALS = ("_", "+", "=")
BLANK, PLUS, SEP = 0, 1, 2  # their token ids
MAX_LENGTH = 16
OPEN, CLOSE, LETTER = 3, 4, 5  # brackets' token ids: "(", ")", letter "a" (then b, c, …)
LETTERS = "abcdefghijklmnopqrstuvwxyz"


# -- the vocabulary ----------------------------------------------------------------------------------------
def vocabulary(task: str, vocab: int) -> tuple[str, ...]:
    """Every token's text, indexed by token id."""
    if task not in TASKS:
        raise ValueError(f"task must be one of {', '.join(TASKS)}, not {task!r}.")
    if task == "brackets":
        return (*SPECIALS, "(", ")", *LETTERS[:vocab], *(str(p) for p in range(MAX_LENGTH)))
    return (*SPECIALS, *(str(v) for v in range(vocab)))


def zero(task: str, vocab: int) -> int:
    """Token id of the number 0 (a digit; for brackets, position 0): number v is token zero + v."""
    return LETTER + vocab if task == "brackets" else len(SPECIALS)


def answer_length(task: str, length: int) -> int:
    """k: how many tokens the answer to a source of `length` tokens has."""
    return (length - 1) // 2 + 1 if task == "add" else length


def sequence_length(task: str, length: int, architecture: str) -> int:
    """How many positions the model sees: n for the encoder, n + k for the decoder."""
    return length + answer_length(task, length) if architecture == "decoder" else length


# -- generating problems -----------------------------------------------------------------------------------
def problems(task: str, batch: int, length: int, vocab: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """(source (B, n), answer (B, k)) token ids, drawn with the generator."""
    if task == "brackets":
        return _brackets(batch, length, vocab, generator)
    z = zero(task, vocab)
    if task == "add":
        d = (length - 1) // 2
        a, b = torch.randint(vocab, (2, batch, d), generator=generator)  # digits, most significant first
        total = _value(a, vocab) + _value(b, vocab)
        answer = torch.stack([total // vocab**p % vocab for p in range(d, -1, -1)], dim=1)  # (B, d+1)
        plus, blank = torch.full((batch, 1), PLUS), torch.full((batch, length - 2 * d - 1), BLANK)
        return torch.cat([a + z, plus, b + z, blank], dim=1), answer + z
    x = torch.randint(vocab, (batch, length), generator=generator) + z
    if task == "copy":
        return x, x.clone()
    if task == "reverse":
        return x, x.flip(1)
    if task == "sort":
        return x, x.sort(dim=1).values
    raise ValueError(f"task must be one of {', '.join(TASKS)}, not {task!r}.")


def _value(digits: torch.Tensor, base: int) -> torch.Tensor:
    """(B, d) digits, most significant first -> (B,) int64 numbers."""
    powers = base ** torch.arange(digits.shape[1] - 1, -1, -1)
    return (digits * powers).sum(1)


def _brackets(batch: int, length: int, vocab: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """m ~ uniform 1 … n//2 pairs at 2m random places, a fair coin for each bracket wherever both kinds
    are allowed, random letters elsewhere; and the answer (partners' positions, blanks at letters)."""
    pairs = torch.randint(1, length // 2 + 1, (batch, 1), generator=generator)  # (B, 1): m
    rank = torch.rand(batch, length, generator=generator).argsort(1).argsort(1)  # a random order of the places
    is_bracket = rank < 2 * pairs  # (B, n): 2m random places
    opens_in_order = torch.zeros(batch, length, dtype=torch.bool)  # the t-th bracket from the left opens
    depth = torch.zeros(batch, 1, dtype=torch.long)
    for t in range(length):  # rows with t >= 2m walk on; those brackets do not exist
        room = 2 * pairs - t - 1  # brackets left after this one, to close what is open
        coin = torch.rand(batch, 1, generator=generator) < 0.5
        opens_in_order[:, t:t + 1] = (depth == 0) | ((depth + 1 <= room) & coin)
        depth += torch.where(opens_in_order[:, t:t + 1], 1, -1)
    order = (is_bracket.long().cumsum(1) - 1).clamp(min=0)  # (B, n): which bracket from the left each place holds
    opens = is_bracket & opens_in_order.gather(1, order)
    letters = torch.randint(vocab, (batch, length), generator=generator) + LETTER
    source = torch.where(is_bracket, torch.where(opens, OPEN, CLOSE), letters)
    return source, _bracket_answer(source, vocab)


def _bracket_answer(source: torch.Tensor, vocab: int) -> torch.Tensor:
    partner = partners(source)
    return torch.where(partner >= 0, zero("brackets", vocab) + partner, BLANK)


def partners(source: torch.Tensor) -> torch.Tensor:
    """source (B, n) token ids with balanced brackets -> (B, n) the position of each bracket's partner, −1 at letters.

    The partner of an opening bracket at i is the first ")" at j > i after which the depth falls back
    to depth(i) − 1 (depths counted after each token); the partner of that closing bracket is i."""
    opens, closes = source == OPEN, source == CLOSE
    B, n = source.shape
    depth = (opens.long() - closes.long()).cumsum(1)  # (B, n)
    later = torch.ones(n, n, dtype=torch.bool).triu(1)  # (i, j): j > i
    closes_it = later & opens[:, :, None] & closes[:, None, :] & (depth[:, None, :] == depth[:, :, None] - 1)  # (B, i, j)
    first = closes_it.long().argmax(2)  # (B, n): the first such j (argmax returns the first maximum)
    partner = torch.full((B, n), -1, dtype=torch.long)
    rows, i = opens.nonzero(as_tuple=True)
    partner[rows, i] = first[rows, i]
    partner[rows, first[rows, i]] = i
    return partner


# -- the two layouts ---------------------------------------------------------------------------------------
def layout(source: torch.Tensor, answer: torch.Tensor, architecture: str) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(inputs, targets, loss_mask) for the architecture (see the module docstring); all (B, positions)."""
    B, n = source.shape
    k = answer.shape[1]
    if architecture == "encoder":
        targets = torch.cat([torch.full((B, n - k), BLANK), answer], dim=1)
        mask = torch.zeros(B, n, dtype=torch.bool)
        mask[:, n - k:] = True
        return source, targets, mask
    if architecture != "decoder":
        raise ValueError(f"architecture must be one of {', '.join(ARCHITECTURES)}, not {architecture!r}.")
    full = torch.cat([source, torch.full((B, 1), SEP), answer], dim=1)  # (B, n + 1 + k)
    mask = torch.zeros(B, n + k, dtype=torch.bool)
    mask[:, n:] = True  # position n ("=") predicts the first answer token
    return full[:, :-1], full[:, 1:].masked_fill(~mask, BLANK), mask


def make_batch(task: str, batch: int, length: int, vocab: int, generator: torch.Generator,
               architecture: str = "encoder") -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """A fresh batch: inputs (B, positions) long, targets (B, positions) long, loss_mask (B, positions) bool."""
    return layout(*problems(task, batch, length, vocab, generator), architecture)


# -- text in, text out (the inference box) -----------------------------------------------------------------
def encode(task: str, text: str, vocab: int, length: int) -> list[int]:
    """The learner's source text -> source token ids. "3 1 4 1 5" and "31415" both work (a piece that is
    not a token but whose characters are is split into them); "add" wants "12+34" (shorter numbers get
    leading zeros), "brackets" letters and balanced brackets, "a(b)c". Raises ValueError with a message for the learner."""
    table = vocabulary(task, vocab)
    if task == "brackets":
        typeable = set(table[OPEN:zero(task, vocab)])  # brackets and letters; positions are answers only
    else:
        typeable = set(table[zero(task, vocab):]) | ({"+"} if task == "add" else set())
    single = task == "brackets" or vocab <= 10  # every token one character: "31415" may be split
    pieces: list[str] = []
    for piece in text.replace("+", " + ").split():
        if piece in typeable:
            pieces.append(piece)
        elif single and all(ch in typeable for ch in piece):
            pieces.extend(piece)
        else:
            bad = next(ch for ch in piece if ch not in typeable) if single else piece
            raise ValueError(f"{bad!r} is not a token of this task: {_allowed(task, vocab)}.")
    if not pieces:
        raise ValueError(f"type a sequence first: {_allowed(task, vocab)}.")
    if task == "add":
        return _encode_sum(pieces, vocab, length)
    if len(pieces) > length:
        raise ValueError(f"{len(pieces)} tokens is too long: this model was trained on sequences of {length}.")
    if task == "brackets":
        _check_balance(pieces)
    return [table.index(p) for p in pieces]


def _allowed(task: str, vocab: int) -> str:
    if task == "brackets":
        return f"use ( and ) and the letters {LETTERS[0]}–{LETTERS[vocab - 1]}, e.g. a(b(c)d)"
    if task == "add":
        return f"write two numbers with digits 0–{vocab - 1} joined by +, e.g. 12+34"
    return f"the tokens are 0–{vocab - 1}" + ("" if vocab <= 10 else ", separated by spaces")


def _encode_sum(pieces: list[str], vocab: int, length: int) -> list[int]:
    d = (length - 1) // 2
    if pieces.count("+") != 1:
        raise ValueError(f"write two numbers joined by one +, e.g. {'1' * d}+{'2' * d}.")
    plus = pieces.index("+")
    a, b = pieces[:plus], pieces[plus + 1:]
    if not a or not b:
        raise ValueError("a number is missing on one side of the +.")
    if len(a) > d or len(b) > d:
        raise ValueError(f"at length {length} each number has at most {d} digit(s).")
    z = zero("add", vocab)
    tokens = [int(p) + z for p in ["0"] * (d - len(a)) + a] + [PLUS] + [int(p) + z for p in ["0"] * (d - len(b)) + b]
    return tokens + [BLANK] * (length - len(tokens))


def _check_balance(pieces: list[str]) -> None:
    depth = 0
    for p in pieces:
        depth += {"(": 1, ")": -1}.get(p, 0)
        if depth < 0:
            break
    if depth != 0:
        raise ValueError(f"the brackets in {''.join(pieces)} do not balance: every ( needs its own ) after it.")


def decode(task: str, tokens: list[int] | torch.Tensor, vocab: int) -> str:
    """Token ids -> their texts joined by spaces, e.g. "1 4 1 3"."""
    table = vocabulary(task, vocab)
    ids = tokens.tolist() if isinstance(tokens, torch.Tensor) else list(tokens)
    bad = [t for t in ids if not 0 <= t < len(table)]
    if bad:
        raise ValueError(f"token id {bad[0]} is outside this task's vocabulary of {len(table)} tokens.")
    return " ".join(table[t] for t in ids)


def solve(task: str, source: list[int], vocab: int) -> list[int]:
    """The right answer (token ids) to one encoded source, for showing next to the model's."""
    problem = torch.as_tensor([source])
    if task == "brackets":
        return _bracket_answer(problem, vocab)[0].tolist()
    if task == "add":
        d, z = (problem.shape[1] - 1) // 2, zero(task, vocab)
        total = int(_value(problem[:, :d] - z, vocab) + _value(problem[:, d + 1:2 * d + 1] - z, vocab))
        return [total // vocab**p % vocab + z for p in range(d, -1, -1)]
    return {"copy": source, "reverse": source[::-1], "sort": sorted(source)}[task]

