"""The written-dates data set of chapter 13."""
import datetime as dt

import numpy as np
import pytest

from companion.data.dates import (
    FORMATS,
    decode,
    encode_sources,
    encode_targets,
    load_dates,
    ordinal,
    random_dates,
    write_date,
)


def test_the_issue_examples():
    d = dt.date(1998, 3, 3)
    assert write_date(d, "the 3rd of March 1998") == "the 3rd of March 1998"
    assert write_date(d, "3/3/98") == "3/3/98"
    assert write_date(d, "Tuesday, March 3, 1998") == "Tuesday, March 3, 1998"
    assert write_date(d, "1998 Mar 3") == "1998 Mar 3"
    assert len(FORMATS) >= 12


def test_formats_on_another_date():
    d = dt.date(2021, 11, 22)                      # a Monday
    assert write_date(d, "3/3/98") == "11/22/21"
    assert write_date(d, "03.03.1998") == "22.11.2021"
    assert write_date(d, "Tuesday 3rd March 1998") == "Monday 22nd November 2021"
    assert write_date(d, "the 3rd of march, 98") == "the 22nd of november, 21"
    assert write_date(d, "MARCH 3 1998") == "NOVEMBER 22 2021"
    assert write_date(d, "Tue 3 Mar 1998") == "Mon 22 Nov 2021"


@pytest.mark.parametrize("n,want", [(1, "1st"), (2, "2nd"), (3, "3rd"), (4, "4th"), (11, "11th"),
                                    (12, "12th"), (13, "13th"), (21, "21st"), (22, "22nd"),
                                    (23, "23rd"), (30, "30th"), (31, "31st")])
def test_ordinal(n, want):
    assert ordinal(n) == want


def test_splits():
    data = load_dates(n_train=300, n_dev=50, n_test=60, n_hard=40, seed=1)
    assert [len(s) for s in (data.train, data.dev, data.test, data.hard_test)] == [300, 50, 60, 40]
    seen = {t for t, _ in data.train}
    assert not seen & {t for t, _ in data.dev + data.test}
    assert len({t for t, _ in data.dev + data.test}) == 110
    held = set(data.held_out_years)
    assert len(held) == 10
    for split in (data.train, data.dev, data.test):
        assert not {int(iso[:4]) for _, iso in split} & held
    assert {int(iso[:4]) for _, iso in data.hard_test} <= held
    for text, iso in data.train + data.hard_test:
        assert dt.date.fromisoformat(iso)          # a real date
        assert data.source_vocab.unk not in [data.source_vocab.index(c) for c in text]


def test_every_format_appears_and_years_span_the_range():
    data = load_dates(n_train=3000, n_dev=0, n_test=0, n_hard=0, seed=0)
    years = [int(iso[:4]) for _, iso in data.train]
    assert min(years) < 1955 and max(years) > 2044
    shapes = {"".join("9" if c.isdigit() else c for c in t) for t, _ in data.train}
    assert len(shapes) > 16


def test_two_digit_years_are_unambiguous():
    for d in random_dates(np.random.default_rng(0), 500, range(1950, 2050)):
        yy = int(write_date(d, "3/3/98").split("/")[-1])
        assert (1900 + yy if yy >= 50 else 2000 + yy) == d.year


def test_deterministic():
    assert load_dates(50, 5, 5, 5, seed=3).train == load_dates(50, 5, 5, 5, seed=3).train
    assert load_dates(50, 5, 5, 5, seed=3).train != load_dates(50, 5, 5, 5, seed=4).train


def test_encoding_round_trip():
    data = load_dates(20, 0, 0, 0, seed=0)
    src = [t for t, _ in data.train]
    ids = encode_sources(data.source_vocab, src)
    assert ids.shape == (20, max(map(len, src)))
    for row, text in zip(ids, src):
        assert decode(data.source_vocab, row) == text
        assert row[-1] == data.source_vocab.index(text[-1])      # left-padded
    tgt = encode_targets(data.target_vocab, [iso for _, iso in data.train])
    assert tgt.shape == (20, 11) and np.all(tgt[:, -1] == data.target_vocab.eos)
    assert decode(data.target_vocab, tgt[0]) == data.train[0][1]


def test_errors():
    with pytest.raises(ValueError, match="fmt must be one of"):
        write_date(dt.date(2000, 1, 1), "yyyy")
    with pytest.raises(ValueError, match="more than T=3"):
        encode_sources(load_dates(1, 0, 0, 0).source_vocab, ["1/1/00"], T=3)
    with pytest.raises((ValueError, TypeError), match="n_train"):
        load_dates(n_train=-1)
