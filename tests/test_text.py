"""Vocabulary, tokenisers, one-hot, padding and the census names."""
import numpy as np
import pytest

from companion.data.text import (
    EOS,
    PAD,
    UNK,
    Vocabulary,
    char_vocabulary,
    chars,
    encode_padded,
    load_names,
    names_by_sex,
    words,
)

TEXT = "the cat sat on the mat. the dog sat on the log! a cat"


def test_words_and_chars():
    assert words("The cat's hat, ok?") == ["the", "cat's", "hat", ",", "ok", "?"]
    assert chars("abc") == ["a", "b", "c"]


def test_vocabulary_keeps_most_frequent_and_maps_rest_to_unk():
    vocab = Vocabulary.build(words(TEXT), max_size=3)
    # the: 4; cat, on, sat: 2 each (ties alphabetical), so "sat" is cut
    assert vocab.itos == [EOS, UNK, "the", "cat", "on"]
    assert len(vocab) == 5
    ids = vocab.encode(words("the dog sat on"), add_eos=True)
    assert ids.tolist() == [2, vocab.unk, vocab.unk, 4, vocab.eos]
    assert vocab.decode(ids) == ["the", UNK, UNK, "on", EOS]
    assert vocab.decode(ids, stop_at_eos=True) == ["the", UNK, UNK, "on"]
    assert "dog" not in vocab and "the" in vocab


def test_frequency_ties_are_alphabetical_and_min_count():
    vocab = Vocabulary.build(["b", "a", "c", "a", "b", "d"])
    assert vocab.itos[2:] == ["a", "b", "c", "d"]
    assert Vocabulary.build(["b", "a", "c", "a", "b"], min_count=2).itos[2:] == ["a", "b"]
    assert Vocabulary.build(list("cab"), order="alphabetical").itos[2:] == ["a", "b", "c"]
    assert Vocabulary.build(list("ab"), pad=True).itos[:3] == [EOS, UNK, PAD]


def test_one_hot():
    vocab = char_vocabulary(["abc"])
    X = vocab.one_hot(np.array([[2, 3], [4, 0]]))
    assert X.shape == (2, 2, 5)
    np.testing.assert_array_equal(X.sum(axis=-1), 1)
    assert X[0, 1, 3] == 1
    with pytest.raises(ValueError, match=r"ids must lie in 0..4"):
        vocab.one_hot([5])
    with pytest.raises(TypeError, match="integer ids"):
        vocab.one_hot([0.5])


def test_encode_padded():
    vocab = char_vocabulary(["ab", "abc"])
    ids, mask = encode_padded(vocab, ["ab", "c"])
    assert ids.shape == mask.shape == (2, 3)
    assert mask.tolist() == [[True, True, True], [True, True, False]]
    assert vocab.decode(ids[0]) == ["a", "b", EOS]
    with pytest.raises(ValueError, match="no texts"):
        encode_padded(vocab, [])


def test_bad_arguments():
    with pytest.raises(ValueError, match="special tokens"):
        Vocabulary(["a", EOS])
    with pytest.raises(ValueError, match="max_size"):
        Vocabulary.build(["a"], max_size=0)
    with pytest.raises(ValueError, match="order"):
        Vocabulary.build(["a"], order="random")
    with pytest.raises(ValueError, match="outside the vocabulary"):
        char_vocabulary(["a"]).decode([7])
    with pytest.raises(ValueError, match="sex must be"):
        load_names("other")


def test_census_names():
    female, male = load_names("female"), load_names("male")
    assert len(female) == 4275 and len(male) == 1219
    assert male[:3] == ["james", "john", "robert"] and female[0] == "mary"
    names, labels, freq = names_by_sex()
    assert len(names) == len(set(female) | set(male)) == 5163
    assert names == sorted(names)
    both = sorted(set(female) & set(male))
    assert len(both) == 331
    lab = dict(zip(names, labels))
    assert lab["james"] == 1 and lab["mary"] == 0
    assert set(load_names()) == set(names) and load_names()[0] == "james"
    assert all(n.isalpha() and n.islower() for n in names)
    assert np.all(freq > 0)


def test_wrong_tokens_are_named_not_silently_unknown():
    """encode([1, 2]) used to map every number to <UNK>; decode([1.5]) to truncate to 1."""
    vocab = Vocabulary.build(words(TEXT))
    with pytest.raises(TypeError, match=r"^tokens: expected a list of strings, but item 0 is int 1$"):
        vocab.encode([1, 2])
    with pytest.raises(TypeError, match=r"^tokens: expected a list of string tokens .* got "
                                        r"NoneType None$"):
        vocab.encode(None)
    with pytest.raises(TypeError, match=r"^decode: expected integer ids, got dtype float64$"):
        vocab.decode([1.5])
    with pytest.raises(TypeError, match=r"^texts: expected a list of strings, got the single "
                                        r"string 'cat'"):
        encode_padded(char_vocabulary(["cat"]), "cat")
    with pytest.raises(TypeError, match=r"^tokens: got the single string 'the', but this "
                                        r"vocabulary holds words, not characters: pass "
                                        r"words\(text\)"):
        vocab.encode("the")                       # its characters would all be <UNK>
    cv = char_vocabulary(["the"])
    assert list(cv.encode("the")) == cv.encode(["t", "h", "e"]).tolist()   # characters


@pytest.mark.parametrize("kwargs, error, match", [
    ({"max_size": 2.5}, ValueError, r"^max_size must be a positive integer, got 2.5"),
    ({"max_size": "10"}, TypeError, r"^max_size must be a positive integer, got str '10'"),
    ({"min_count": 0}, ValueError, r"^min_count must be a positive integer, got 0$"),
])
def test_build_settings_are_named(kwargs, error, match):
    with pytest.raises(error, match=match):
        Vocabulary.build(words(TEXT), **kwargs)


def test_a_vocabulary_without_specials_is_word2vecs():
    """One vocabulary class: specials=False (the skip-gram's) has no <EOS>/<UNK>, drops the
    tokens it does not know, and counts each id; build_vocab is that vocabulary."""
    from companion.data.text import Vocabulary
    from companion.models.skipgram import build_vocab

    v = Vocabulary.build(["b", "a", "b", "c", "b", "a"], specials=False)
    assert v.itos == v.words == ["b", "a", "c"] and v.eos is v.unk is v.pad is None
    assert v.counts.tolist() == [3, 2, 1]
    assert v.encode(["c", "zz", "b"]).tolist() == [2, 0]          # "zz" dropped, not <UNK>
    with pytest.raises(KeyError, match="'zz' is not in this vocabulary"):
        v.index("zz")
    with pytest.raises(ValueError, match="no <EOS>"):
        v.encode(["a"], add_eos=True)
    with pytest.raises(TypeError, match="single string"):
        v.encode("abc")                                   # would be silently dropped otherwise
    with pytest.raises(ValueError, match="pad=True needs specials=True"):
        Vocabulary(["a"], pad=True, specials=False)
    w = build_vocab(["b", "a", "b", "c", "b", "a"], min_count=2)
    assert w.itos == ["b", "a"] and w.counts.tolist() == [3, 2]
    # with the specials, counts still line up with the ids (0 for <EOS>, <UNK>)
    s = Vocabulary.build(["b", "a", "b"])
    assert s.itos == ["<EOS>", "<UNK>", "b", "a"] and s.counts.tolist() == [0, 0, 2, 1]
    assert s.words == ["b", "a"]
