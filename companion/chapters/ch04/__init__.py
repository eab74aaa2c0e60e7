"""Chapter 4: the experiment drivers and explorers that only this chapter uses.

It imports the library (``companion.nn``, ``data``, ``models``, ``lab``), never another
chapter. One module per section of the chapter, every public name re-exported here
(``from companion.chapters import ch04``; ``ch04.deep_network``):

- ``network``: an L-layer network from the notes' layer sizes n[0], n[1], ..., n[L] (later
  chapters reuse it), ``train_and_score``, ``kernel_norms``, and the same network written out
  by hand (``deep_params``, ``deep_forward``, ``deep_backward``, ``deep_loss``: the reference
  of the build-it exercises).
- ``bias_variance``: bias and variance, measured (retrain one model on many training sets
  drawn afresh); learning curves and the diagnosis table.
- ``l1``: L1's sparsity, shown honestly: subgradient steps versus proximal (soft-threshold)
  steps, both through ``fit``.
- ``ensembles``: train several networks that differ only in their random start (and their
  bootstrap resample) and average them.
- ``normalising``: why normalising inputs speeds up gradient descent, on a problem small
  enough to see whole.
- ``initialisation``: vanishing and exploding signals in a deep network at initialisation.
- ``explorer``: lambda, keep probability, initialiser and depth on a noisy 2-D set.
"""

from .bias_variance import (
    classifier_errors,
    decompose,
    diagnose,
    learning_curve,
    network_model,
    polynomial_model,
    sample,
    target,
)
from .ensembles import bootstrap, ensemble_predict, ensemble_report, train_ensemble
from .explorer import EXPLORER_INITS, explorer, noisy_moons, run
from .initialisation import (
    INITS,
    compare_initializers,
    deep_relu,
    keras_statistics,
    layer_statistics,
    predicted_act_std,
)
from .l1 import fit_l1, sparsity_report
from .network import (
    deep_backward,
    deep_forward,
    deep_loss,
    deep_network,
    deep_params,
    kernel_norms,
    train_and_score,
)
from .normalising import (
    SCALINGS,
    conditioning,
    gradient_descent,
    hessian,
    mse,
    scale,
    steps_to_converge,
)

__all__ = [
    "EXPLORER_INITS", "INITS", "SCALINGS", "bootstrap", "classifier_errors", "compare_initializers",
    "conditioning", "decompose", "deep_backward", "deep_forward", "deep_loss", "deep_network",
    "deep_params", "deep_relu", "diagnose", "ensemble_predict", "ensemble_report", "explorer",
    "fit_l1", "gradient_descent", "hessian", "keras_statistics", "kernel_norms",
    "layer_statistics", "learning_curve", "mse", "network_model", "noisy_moons", "polynomial_model",
    "predicted_act_std", "run", "sample", "scale", "sparsity_report", "steps_to_converge",
    "target", "train_and_score", "train_ensemble",
]
