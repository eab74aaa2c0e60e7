"""The property files' coverage of ``companion.nn`` (its modules and ``nn.layers``) and
``companion.data`` (issue 23): every public function and class (``property_checks.public_names``)
must appear as a word in some target id ('Dense(units=...)', 'optim.Adam.update(grads=...)',
'dense.dense_backward(dout=...)') of the property files below; a new public name without a
target fails.
(``companion.models`` and ``companion.keras_twin`` are checked name by name in their own
property files.)
"""
from __future__ import annotations

import re

import pytest
import test_properties
import test_properties_conv_rnn
import test_properties_data
import test_properties_layer_functions
import test_properties_models
import test_properties_nn_data
import test_properties_training
import test_properties_translators
from property_checks import public_names

import companion.data
import companion.models
import companion.nn
import companion.nn.layers

ALL_IDS = " ".join(t.id for t in test_properties_training.TARGETS + test_properties.TARGETS +
                   test_properties_data.TARGETS + test_properties_nn_data.TARGETS +
                   test_properties_conv_rnn.TARGETS + test_properties_layer_functions.TARGETS)


@pytest.mark.parametrize("package", [companion.nn, companion.nn.layers, companion.data],
                         ids=lambda p: p.__name__)
def test_public_names_have_targets(package):
    """A name is covered when it appears as a word in a target id ('Dense(units=...)',
    'optim.Adam.update(grads=...)')."""
    names = public_names(package)
    assert len(names) > 20
    missing = sorted(n for n in names if not re.search(rf"\b{n.split('.')[1]}\b", ALL_IDS))
    assert not missing, f"public names of {package.__name__} with no property target: {missing}"


MODEL_TARGETS = test_properties_models.TARGETS + test_properties_translators.TARGETS

# --- companion.models: every public name is called by some target, name by name ----------
# public names that are records with no behaviour of their own (nothing to call wrongly)
EXEMPT = {
    "decoding.Hypothesis": "a NamedTuple that beam_search fills (no checks of its own)",
    "seq2seq.Translation": "a NamedTuple that seq2seq.beam_search fills",
}


def _covered(target_id: str) -> str:
    """'char_lm.CharLanguageModel.loss(names=...)' -> 'char_lm.CharLanguageModel'."""
    return ".".join(re.match(r"[\w.]+", target_id).group(0).split(".")[:2])


def test_every_public_name_of_models_is_covered():
    covered = {_covered(t.id) for t in MODEL_TARGETS}
    names = public_names(companion.models)
    assert len(names) > 40
    missing = [n for n in names if n not in covered and n not in EXEMPT]
    assert not missing, f"public names of companion.models with no property target: {missing}"
    stale = [n for n in EXEMPT if n in covered or n not in names]
    assert not stale, f"EXEMPT entries to remove: {stale}"
