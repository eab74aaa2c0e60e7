"""BLEU (Papineni et al. 2002): how many of a candidate's n-grams a reference also has, for
n = 1..4, with a penalty for candidates shorter than the references (chapter 13).

    corpus_bleu([["the", "cat", "is", "on", "the", "mat"]],
                [[["the", "cat", "is", "on", "the", "mat"]]])["bleu"]          # 1.0

**Modified n-gram precision.** Count each n-gram of the candidate at most as often as it
appears in any one reference (clipping: ``the the the the`` against ``the cat is on the mat``
scores 2/4 for unigrams, not 4/4):

    p_n = sum over sentences of sum_g min(count_cand(g), max_ref count_ref(g))
          / sum over sentences of the candidate's number of n-grams

**Brevity penalty.** Precision alone rewards saying little; with c the total candidate length
and r the sum of each sentence's reference length closest to its candidate (ties: the shorter),
BP = 1 if c > r else exp(1 - r / c).

**BLEU** = BP * exp(sum_n w_n log p_n), w_n = 1/N (N = 4). Corpus-level: the counts are summed
over the sentences before dividing (not an average of sentence scores). Without smoothing, a
corpus with no matching n-gram of some order scores 0. The same definition as
``sacrebleu.corpus_bleu(..., tokenize="none", smooth_method="none")`` on space-joined tokens
(scaled to 0..1 here, 0..100 there); tested against it.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

from companion.nn.validation import check_int


def ngrams(tokens: Sequence[str], n: int) -> Counter:
    """The n-grams of a token sequence with their counts."""
    tokens, n = _check_tokens(tokens, "tokens"), check_int(n, "n")
    return Counter(tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1))


def modified_precision(candidate: Sequence[str], references: Sequence[Sequence[str]],
                       n: int) -> tuple[int, int]:
    """(clipped matches, candidate n-grams) of one sentence: each candidate n-gram counts at
    most as often as in the reference that has it most."""
    candidate, references = _check_tokens(candidate, "candidate"), _check_refs(references)
    cand = ngrams(candidate, n)
    most: Counter = Counter()
    for ref in references:
        for g, c in ngrams(ref, n).items():
            most[g] = max(most[g], c)
    return sum(min(c, most[g]) for g, c in cand.items()), max(len(candidate) - n + 1, 0)


def closest_length(candidate: Sequence[str], references: Sequence[Sequence[str]]) -> int:
    """The reference length closest to the candidate's (ties: the shorter reference)."""
    candidate, references = _check_tokens(candidate, "candidate"), _check_refs(references)
    return min((abs(len(r) - len(candidate)), len(r)) for r in references)[1]


def _check_tokens(x, name: str) -> list[str]:
    if isinstance(x, str) or not isinstance(x, Sequence) or \
            not all(isinstance(t, str) for t in x):
        raise TypeError(f"{name}: expected a list of string tokens, got {x!r:.60}"
                        + (" (split a sentence into tokens first, e.g. text.split())"
                           if isinstance(x, str) else ""))
    return list(x)


def _check_refs(references, name: str = "references") -> list[list[str]]:
    """A non-empty list of token lists (one sentence's references)."""
    if isinstance(references, str) or not isinstance(references, Sequence) or not references:
        raise TypeError(f"{name}: expected a non-empty list of token lists, got "
                        f"{references!r:.60}")
    return [_check_tokens(ref, f"{name}[{j}]") for j, ref in enumerate(references)]


def corpus_bleu(candidates: Sequence[Sequence[str]],
                references: Sequence[Sequence[Sequence[str]]], max_n: int = 4) -> dict:
    """Corpus BLEU of tokenised candidates, each with one or more tokenised references.

    candidates: N token lists; references: N lists of token lists (the references of each
    candidate). Returns {"bleu", "precisions" (max_n,), "brevity_penalty", "candidate_length",
    "reference_length", "matches", "totals"}; bleu in [0, 1].
    """
    max_n = check_int(max_n, "max_n")
    if not all(isinstance(x, Sequence) and not isinstance(x, str)
               for x in (candidates, references)):
        got = "a string" if str in (type(candidates), type(references)) else \
            f"{type(candidates).__name__} and {type(references).__name__}"
        raise TypeError(f"candidates and references: expected lists of token lists, got {got}")
    if len(candidates) != len(references) or not candidates:
        raise ValueError(f"candidates and references: expected the same positive number of "
                         f"sentences, got {len(candidates)} and {len(references)}")
    matches, totals = [0] * max_n, [0] * max_n
    c = r = 0
    for i, (cand, refs) in enumerate(zip(candidates, references)):
        cand = _check_tokens(cand, f"candidates[{i}]")
        refs = _check_refs(refs, f"references[{i}]")
        c, r = c + len(cand), r + closest_length(cand, refs)
        for n in range(1, max_n + 1):
            m, t = modified_precision(cand, refs, n)
            matches[n - 1] += m
            totals[n - 1] += t
    precisions = [m / t if t else 0.0 for m, t in zip(matches, totals)]
    bp = 1.0 if c > r else (math.exp(1 - r / c) if c else 0.0)
    bleu = bp * math.exp(sum(math.log(p) for p in precisions) / max_n) \
        if min(precisions) > 0 else 0.0
    return {"bleu": bleu, "precisions": precisions, "brevity_penalty": bp,
            "candidate_length": c, "reference_length": r, "matches": matches, "totals": totals}
