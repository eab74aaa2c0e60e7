"""The shared checks of ``companion.nn.validation`` that issue 23 added: strings, flags, masks,
backward's ``dout``, mutually exclusive arguments, arrays and choices."""
from __future__ import annotations

import numpy as np
import pytest

from companion.nn.shape_checks import check_dout, check_mask
from companion.nn.validation import (
    check_array,
    check_bool,
    check_choice,
    check_exclusive,
    check_strings,
)


# --- check_strings ------------------------------------------------------------------------
@pytest.mark.parametrize("value", [["a", "bc"], ("a", "bc"), np.array(["a", "bc"]),
                                   (s for s in ["a", "bc"])])
def test_check_strings_accepts_sequences_of_strings(value):
    out = check_strings(value, "names")
    assert out == ["a", "bc"] and all(type(s) is str for s in out)


def test_check_strings_refuses_a_bare_string_and_suggests_a_list():
    with pytest.raises(TypeError, match=r"^names: expected a list of strings, got the single "
                                        r"string 'anna'; pass \['anna'\] for one item$"):
        check_strings("anna", "names")


@pytest.mark.parametrize("value, match", [
    (None, r"names: expected a list of strings, got NoneType None"),
    (3, r"names: expected a list of strings, got int 3"),
    ({"a", "b"}, r"names: expected a list of strings, got set"),
    (["a", 1], r"names: expected a list of strings, but item 1 is int 1"),
    (["a", None], r"item 1 is NoneType None"),
    (np.array([["a"]]), r"names: expected a list of strings, got an array of shape \(1, 1\)"),
    (b"ann", r"got the single string"),
])
def test_check_strings_refuses_other_values(value, match):
    with pytest.raises((TypeError, ValueError), match=match):
        check_strings(value, "names")


def test_check_strings_empty():
    assert check_strings([], "names") == []
    with pytest.raises(ValueError, match=r"^names is empty: expected at least one string$"):
        check_strings([], "names", allow_empty=False)


# --- check_bool -----------------------------------------------------------------------------
@pytest.mark.parametrize("value", [True, False, np.bool_(True)])
def test_check_bool_accepts_bools(value):
    assert check_bool(value, "flag") is bool(value)


@pytest.mark.parametrize("value", ["no", "False", 0, 1, None, 1.0, np.array([True])])
def test_check_bool_refuses_strings_numbers_none(value):
    with pytest.raises(TypeError, match=r"^return_sequences must be True or False, got "):
        check_bool(value, "return_sequences")


# --- check_mask -----------------------------------------------------------------------------
def test_check_mask_accepts_bool_and_01_integers():
    m = np.array([[True, False, True]])
    assert check_mask(m, "mask", (None, 3)).dtype == bool
    out = check_mask([[1, 0, 1]], "mask", (None, 3))
    np.testing.assert_array_equal(out, m)
    assert out.dtype == bool
    assert check_mask(np.array([[1, 0, 1]], np.uint8), "mask", (1, 3)).dtype == bool
    assert check_mask(None, "mask", (None, 3)) is None


def test_check_mask_alternative_shapes():
    shapes = [(None, 4), (None, 2, 4)]
    assert check_mask(np.ones((3, 4), bool), "mask", shapes).shape == (3, 4)
    assert check_mask(np.ones((3, 2, 4), bool), "mask", shapes).shape == (3, 2, 4)
    with pytest.raises(ValueError, match=r"^mask: expected shape \(N, 4\) or \(N, 2, 4\), "
                                         r"got \(4,\)$"):
        check_mask(np.ones(4, bool), "mask", shapes)


def test_check_mask_shape_is_exact_not_broadcast():
    with pytest.raises(ValueError, match=r"^mask: expected shape \(2, 5\), got \(5,\)$"):
        check_mask(np.ones(5, bool), "mask", (2, 5))
    with pytest.raises(ValueError, match=r"expected shape \(N, 5\), got \(2, 4\)"):
        check_mask(np.ones((2, 4), bool), "mask", (None, 5))


def test_check_mask_names_an_additive_float_mask():
    additive = np.array([[0.0, -np.inf, 0.0]])
    with pytest.raises(TypeError, match=r"^attention_mask: got an additive float mask \(0 = "
                                        r"attend, -inf = hide.*pass attention_mask == 0$"):
        check_mask(additive, "attention_mask", (None, 3))
    with pytest.raises(TypeError, match=r"additive float mask"):
        check_mask(np.array([[0.0, -1e9]]), "mask", (None, 2))


@pytest.mark.parametrize("mask, error, match", [
    (np.array([[1.0, 0.0]]), TypeError, r"^mask: expected a boolean mask \(True = attend\) or "
                                        r"0/1 integers, got dtype float64; pass mask\.astype"),
    (np.array([[2, 0]]), ValueError, r"^mask: an integer mask must hold only 0 and 1, got "
                                     r"values from 0 to 2$"),
    (np.array([[-1, 1]]), ValueError, r"only 0 and 1"),
    ([["yes", "no"]], TypeError, r"^mask: expected a boolean mask .* got list of dtype <U3$"),
    ("mask", TypeError, r"got str of dtype <U4"),
])
def test_check_mask_refuses_other_forms(mask, error, match):
    with pytest.raises(error, match=match):
        check_mask(mask, "mask", (None, 2))


# --- check_dout -----------------------------------------------------------------------------
def test_check_dout_accepts_the_forward_output_shape():
    out = check_dout([[1, 2, 3]], (1, 3), dtype=np.float32)
    assert out.shape == (1, 3) and out.dtype == np.float32


@pytest.mark.parametrize("shape", [(2, 3), (1, 4), (3,), (1, 1)])
def test_check_dout_refuses_another_shape(shape):
    with pytest.raises(ValueError, match=r"^dense\.backward: dout has shape .* expected \(1, "
                                         r"3\) \(the shape of the last forward's output\)$"):
        check_dout(np.ones(shape), (1, 3), "dense.backward: dout")


def test_check_dout_refuses_non_arrays():
    with pytest.raises(TypeError, match=r"^dout: expected a numeric array, got NoneType None"):
        check_dout(None, (1, 3))


# --- check_exclusive ------------------------------------------------------------------------
def test_check_exclusive():
    check_exclusive(seed=None, rng=None)
    check_exclusive(seed=0, rng=None)
    check_exclusive(seed=None, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"^pass seed or rng, not both: got seed=0, rng=Generator"
                                         r".*one of them would be ignored$"):
        check_exclusive(seed=0, rng=np.random.default_rng(0))


# --- check_array, check_choice --------------------------------------------------------------
def test_check_array():
    assert check_array([[1.0, 2.0]], "x", (None, 2)).shape == (1, 2)
    with pytest.raises(ValueError, match=r"^x: expected shape \(N, 2\), got \(1, 3\)$"):
        check_array(np.ones((1, 3)), "x", (None, 2))
    with pytest.raises(ValueError, match=r"^x is empty"):
        check_array(np.ones((0, 2)), "x", (None, 2))
    with pytest.raises(ValueError, match=r"^x contains 1 NaN"):
        check_array([1.0, np.nan], "x")
    assert check_array([], "x", nonempty=False).size == 0
    assert np.isnan(check_array([np.nan], "x", finite=False)).all()


def test_check_choice():
    assert check_choice("same", "padding", ("valid", "same")) == "same"
    with pytest.raises(ValueError, match=r"^padding must be one of \('valid', 'same'\), got "
                                         r"'full'$"):
        check_choice("full", "padding", ("valid", "same"))
    with pytest.raises(ValueError, match=r"must be one of \(0, 1\), got True"):
        check_choice(True, "axis", (0, 1))


def test_as_array_refuses_complex_numbers():
    """Casting them to float would silently drop the imaginary part."""
    from companion.nn.validation import as_array
    with pytest.raises(TypeError, match=r"^x: expected real numbers, got dtype complex128$"):
        as_array(np.array([1 + 2j]), "x")
