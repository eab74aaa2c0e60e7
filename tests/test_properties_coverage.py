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
import test_properties_data
import test_properties_layer_functions
import test_properties_models
import test_properties_training
import test_properties_translators
from property_checks import public_names

import companion.data
import companion.models
import companion.nn
import companion.nn.layers

ALL_IDS = " ".join(t.id for t in test_properties_training.TARGETS + test_properties.TARGETS +
                   test_properties_data.TARGETS + test_properties_layer_functions.TARGETS)
# public names of companion.nn and companion.data with no target yet (the ratchet's list)
NOT_YET = {
    "companion.nn": """callbacks.Trainable callbacks.trainable_arrays callbacks.ordered_grads callbacks.global_norm
        callbacks.progress_enabled callbacks.progress_bar callbacks.Callback
        callbacks.EpochMeanLoss callbacks.GradientStats losses.Loss optim.Optimizer
        optim.LearningRateSchedule regularizers.Regularizer threads.blas_threads
        train.clip_gradients train.check_loss train.check_data train.check_same_arrays
        train.Supervised train.Evaluation validation.DivergenceError""",
    "companion.nn.layers": """
        conv.chunks conv.batch_slices conv.im2col_chunks conv.plane_buffer
        conv.plane_view conv.plane_chunks conv.correlate conv.conv2d_forward
        conv.conv2d_backward conv.bias_gradient conv.input_gradient
        conv.plane_input_gradient conv.conv2d_forward_naive conv.conv2d_backward_naive
        gru.split_bias gru.gru_step_forward gru.gru_step_backward
        gru.gru_forward gru.gru_backward inception.conv_multiplications
        inception.bottleneck_savings
        lstm.lstm_step_forward lstm.lstm_step_backward
        lstm.lstm_forward lstm.lstm_backward
        padding.pair padding.check_padding
        padding.same_padding padding.pad_amounts padding.conv_output_size padding.output_hw
        padding.pad_input padding.pad_explicit padding.windows padding.offsets padding.unpad
        pool.max_pool_forward pool.max_pool_backward pool.avg_pool_forward
        pool.avg_pool_backward pool.Flatten recurrent.rnn_step_forward
        recurrent.rnn_step_backward recurrent.rnn_forward recurrent.rnn_backward
        residual.PlainBlock rnn_base.RecurrentBase rnn_base.with_final_gradient
        rnn_base.batch_first rnn_base.time_major rnn_base.previous_states
        rnn_base.recurrent_gradient rnn_base.project_inputs rnn_base.input_gradients""",
    "companion.data": """corpus.load_topics corpus.load_corpus datasets.iris
        datasets.breast_cancer dates.DateData dates.source_vocabulary dates.target_vocabulary
        text.load_text text.names_by_sex text.names_split word_vectors.UnknownWordError
        word_vectors.AnalogyReport""",
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
