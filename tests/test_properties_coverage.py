"""The property files' coverage of ``companion.nn`` (its modules and ``nn.layers``) and
``companion.data`` (issue 23), as a ratchet: a public name must appear as a word in some target
id of ``test_properties.py``, ``test_properties_data.py`` or ``test_properties_training.py``
('Dense(units=...)', 'optim.Adam.update(grads=...)'), or be listed in ``NOT_YET``: the names
without a target today, mostly the pure ``*_forward``/``*_backward`` functions that the layer
targets reach through their classes, argument-free loaders, records and protocols. A new public
name without a target fails; a listed name that gains one must leave the list.
(``companion.models`` and ``companion.keras_twin`` are checked name by name in their own
property files.)
"""
from __future__ import annotations

import re

import pytest
import test_properties
import test_properties_conv_rnn
import test_properties_data
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
                   test_properties_data.TARGETS +
                   test_properties_nn_data.TARGETS)
ALL_IDS += " " + " ".join(t.id for t in test_properties_conv_rnn.TARGETS)
# public names of companion.nn and companion.data with no target yet (the ratchet's list)
NOT_YET = {
    "companion.nn": "",
    "companion.nn.layers": """activation.activation_forward activation.activation_backward attention.masked_softmax
        attention.as_mask attention.AdditiveCache attention.additive_attention_forward
        attention.additive_key_mask attention.checked_context_grad
        attention.additive_attention_backward attention.scaled_dot_product_attention_forward
        attention.scaled_dot_product_attention_backward attention.mha_mask
        attention.multi_head_attention_forward attention.multi_head_attention_backward
        base.float_dtype base.Layer batchnorm.batchnorm_forward batchnorm.batchnorm_backward
        batchnorm.batchnorm_inference batchnorm.batchnorm_inference_backward composite.Block
        composite.leaves
        dense.dense_forward dense.dense_backward dropout.dropout_mask
        dropout.dropout_forward dropout.dropout_backward dropout.dropout_layers
        dropout.frozen_masks embedding.embedding_forward embedding.scatter_add_rows
        embedding.embedding_backward embedding.embedding_backward_onehot
        embedding.random_uniform
        layer_norm.layer_norm_forward
        layer_norm.layer_norm_backward
        luong.LuongCache luong.luong_attention_forward attentive_gru.attend_backward
        luong.luong_attention_backward""",
    "companion.data": "",
}


@pytest.mark.parametrize("package", [companion.nn, companion.nn.layers, companion.data],
                         ids=lambda p: p.__name__)
def test_public_names_have_targets(package):
    """A name is covered when it appears as a word in a target id ('Dense(units=...)',
    'optim.Adam.update(grads=...)')."""
    listed = set(NOT_YET[package.__name__].split())
    names = public_names(package)
    covered = {n for n in names if re.search(rf"\b{n.split('.')[1]}\b", ALL_IDS)}
    missing = sorted(set(names) - covered - listed)
    assert not missing, f"public names of {package.__name__} with no property target: {missing}"
    stale = sorted(listed & covered | (listed - set(names)))
    assert not stale, f"NOT_YET entries to remove (covered or gone): {stale}"


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
