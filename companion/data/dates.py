"""Dates written the way people write them, and their ISO form: a translation task generated
offline from a seed (chapter 13).

    data = load_dates(n_train=6000, seed=0)
    data.train[0]          # ('Tuesday, March 3, 1998', '1998-03-03')
    data.source_vocab      # characters of the written dates (+ <EOS>, <UNK>, <PAD>)
    data.target_vocab      # the ISO characters 0-9 and '-' (+ <EOS>, <UNK>, <PAD>)

Dates are drawn uniformly from 1950-01-01 to 2049-12-31, so a two-digit year is unambiguous
(50-99 -> 19xx, 00-49 -> 20xx). ``hard_test`` holds dates from years that no training, dev
or test date has (``held_out_years``): the model must read digits it has only seen in other
combinations. Slashes are month/day/year (US), dots and dashes day.month.year (European).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from companion.data.text import Vocabulary
from companion.nn.validation import check_int, check_strings, rng_from

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
FIRST, LAST = dt.date(1950, 1, 1), dt.date(2049, 12, 31)


def ordinal(n: int) -> str:
    """1 -> '1st', 2 -> '2nd', 3 -> '3rd', 11 -> '11th', 22 -> '22nd'."""
    n = check_int(n, "n", minimum=0)
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _parts(d: dt.date) -> dict:
    month, day = MONTHS[d.month - 1], DAYS[d.weekday()]
    return {"d": d.day, "dd": f"{d.day:02d}", "m": d.month, "mm": f"{d.month:02d}",
            "th": ordinal(d.day), "Month": month, "Mon": month[:3], "Day": day, "Dy": day[:3],
            "yyyy": d.year, "yy": f"{d.year % 100:02d}"}


# Each format is a str.format template over _parts(date); the names say what is written.
FORMATS: dict[str, str] = {
    "the 3rd of March 1998": "the {th} of {Month} {yyyy}",
    "3/3/98": "{m}/{d}/{yy}",
    "Tuesday, March 3, 1998": "{Day}, {Month} {d}, {yyyy}",
    "1998 Mar 3": "{yyyy} {Mon} {d}",
    "March 3, 1998": "{Month} {d}, {yyyy}",
    "3 March 1998": "{d} {Month} {yyyy}",
    "3 Mar 98": "{d} {Mon} {yy}",
    "Mar 3rd, 1998": "{Mon} {th}, {yyyy}",
    "03.03.1998": "{dd}.{mm}.{yyyy}",
    "03/03/1998": "{mm}/{dd}/{yyyy}",
    "Tue 3 Mar 1998": "{Dy} {d} {Mon} {yyyy}",
    "3-Mar-1998": "{d}-{Mon}-{yyyy}",
    "Tuesday 3rd March 1998": "{Day} {th} {Month} {yyyy}",
    "the 3rd of march, 98": "the {th} of {month}, {yy}",
    "3.3.98": "{d}.{m}.{yy}",
    "MARCH 3 1998": "{MONTH} {d} {yyyy}",
}


def _check_date(d) -> dt.date:
    if not isinstance(d, dt.date):
        raise TypeError(f"d: expected a datetime.date, got {type(d).__name__} {d!r}")
    return d


def write_date(d: dt.date, fmt: str) -> str:
    """The date written in one of ``FORMATS`` (by its name, e.g. '3/3/98')."""
    _check_date(d)
    if not isinstance(fmt, str) or fmt not in FORMATS:
        raise ValueError(f"fmt must be one of {list(FORMATS)}, got {fmt!r}")
    p = _parts(d)
    p.update(month=p["Month"].lower(), MONTH=p["Month"].upper())
    return FORMATS[fmt].format(**p)


def iso(d: dt.date) -> str:
    return _check_date(d).isoformat()


def random_dates(rng, n: int, years: Sequence[int]) -> list[dt.date]:
    """``n`` dates drawn uniformly from the days of the given years."""
    n = check_int(n, "n", minimum=0)
    if isinstance(years, (str, int, np.integer)) or not hasattr(years, "__iter__"):
        raise TypeError(f"years: expected a list of integer years such as [2000, 2001], got "
                        f"{type(years).__name__} {years!r}")
    years = np.asarray(sorted(check_int(y, "years: each year") for y in years))
    if years.size == 0:
        raise ValueError("years is empty: expected at least one year to draw dates from")
    starts = np.array([dt.date(y, 1, 1).toordinal() for y in years])
    sizes = np.array([366 if y % 4 == 0 and (y % 100 or y % 400 == 0) else 365 for y in years])
    day = rng.integers(0, sizes.sum(), n)                        # a day among all their days
    which = np.searchsorted(np.cumsum(sizes), day, side="right")
    offset = day - np.r_[0, np.cumsum(sizes)][which]
    return [dt.date.fromordinal(int(starts[w] + o)) for w, o in zip(which, offset)]


def make_pairs(rng, n: int, years: Sequence[int],
               formats: Sequence[str] | None = None) -> list[tuple[str, str]]:
    """``n`` (written date, ISO date) pairs, each in a format drawn uniformly."""
    formats = list(FORMATS) if formats is None else check_strings(formats, "formats", False)
    if any(f not in FORMATS for f in formats):
        raise ValueError(f"formats: expected names from {list(FORMATS)}, got {formats!r:.80}")
    fmt = rng.integers(0, len(formats), n)
    return [(write_date(d, formats[f]), iso(d)) for d, f in zip(random_dates(rng, n, years), fmt)]


@dataclass
class DateData:
    train: list[tuple[str, str]]
    dev: list[tuple[str, str]]
    test: list[tuple[str, str]]
    hard_test: list[tuple[str, str]]
    held_out_years: list[int]
    source_vocab: Vocabulary
    target_vocab: Vocabulary


def source_vocabulary() -> Vocabulary:
    """Every character any format can write (so no written date is ever <UNK>)."""
    text = "".join(MONTHS + DAYS) + "".join(m.upper() + m.lower() for m in MONTHS)
    return Vocabulary(sorted(set(text + "0123456789 ,./-thndrsof")), pad=True)


def target_vocabulary() -> Vocabulary:
    return Vocabulary(list("0123456789-"), pad=True)


def load_dates(n_train: int = 6000, n_dev: int = 500, n_test: int = 1000, n_hard: int = 1000,
               n_held_out_years: int = 10, seed=0) -> DateData:
    """Train/dev/test splits from the same years and a hard test split from held-out years.

    Dev and test never repeat a written date of the training split (nor each other)."""
    for name, v in (("n_train", n_train), ("n_dev", n_dev), ("n_test", n_test),
                    ("n_hard", n_hard)):
        check_int(v, name, minimum=0)
    check_int(n_held_out_years, "n_held_out_years", minimum=1)
    rng = rng_from(seed)
    years = np.arange(FIRST.year, LAST.year + 1)
    held = sorted(int(y) for y in rng.choice(years, n_held_out_years, replace=False))
    seen = [int(y) for y in years if y not in held]
    train = make_pairs(rng, n_train, seen)
    known = {s for s, _ in train}
    rest = [p for p in make_pairs(rng, 2 * (n_dev + n_test) + 10, seen) if p[0] not in known]
    rest = list(dict.fromkeys(rest))[:n_dev + n_test]      # no written date twice
    return DateData(train, rest[:n_dev], rest[n_dev:], make_pairs(rng, n_hard, held), held,
                    source_vocabulary(), target_vocabulary())


def encode_sources(vocab: Vocabulary, texts: Sequence[str], T: int | None = None) -> np.ndarray:
    """Written dates -> (N, T) ids, left-padded with <PAD> to ``T`` (default: the longest), so
    the last character of every date is at position T-1."""
    texts = check_strings(texts, "texts", allow_empty=False)
    T = max(len(s) for s in texts) if T is None else check_int(T, "T")
    ids = np.full((len(texts), T), vocab.pad, dtype=np.int64)
    for i, s in enumerate(texts):
        if len(s) > T:
            raise ValueError(f"texts[{i}] has {len(s)} characters, more than T={T}")
        if s:
            ids[i, T - len(s):] = [vocab.index(c) for c in s]
    return ids


def encode_targets(vocab: Vocabulary, texts: Sequence[str]) -> np.ndarray:
    """ISO dates -> (N, 11) ids: the 10 characters then <EOS>."""
    texts = check_strings(texts, "texts", allow_empty=False)
    if len({len(s) for s in texts}) > 1:
        raise ValueError("texts: expected ISO dates of one length (YYYY-MM-DD), got lengths "
                         f"{sorted({len(s) for s in texts})}")
    return np.array([[vocab.index(c) for c in s] + [vocab.eos] for s in texts], dtype=np.int64)


def decode(vocab: Vocabulary, ids: Sequence[int]) -> str:
    """Ids -> text, stopping at the first <EOS> (padding and <UNK> are dropped)."""
    if isinstance(ids, str):
        raise TypeError(f"ids: expected a sequence of integer ids, got the string {ids!r}")
    arr = np.asarray(ids)
    if arr.ndim != 1 or (arr.size and arr.dtype.kind not in "iu"):
        raise TypeError(f"ids: expected a 1-D sequence of integer ids, got dtype {arr.dtype} "
                        f"and shape {arr.shape}")
    if arr.size and (arr.min() < 0 or arr.max() >= len(vocab)):
        raise ValueError(f"ids: must lie in 0..{len(vocab) - 1}, got values from {arr.min()} to "
                         f"{arr.max()}")
    out = []
    for i in arr.tolist():
        if i == vocab.eos:
            break
        if i not in (vocab.pad, vocab.unk):
            out.append(vocab.itos[i])
    return "".join(out)

