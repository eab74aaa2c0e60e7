"""Chapter 5: the experiment drivers and explorers that only this chapter uses.

It imports the library (``companion.nn``, ``data``, ``models``, ``lab``), never another
chapter. Its sections, one module each:

- ``batch_sizes``: the notes' claim that mini-batch sizes of 2^n are "computationally optimal",
  measured with epochs of ``train_loop``;
- ``averages``: exponentially weighted (moving) averages, with and without bias correction;
- ``twins``: the same gradients fed to one of our optimisers and to its Keras counterpart;
- ``notes_forms``: the notes' optimiser formulas as written, beside the mappings;
- ``surfaces``: 2-D test surfaces and a runner that records an optimiser's path;
- ``explore``: the chapter's explorer (an optimiser's path and loss curve on a surface);
- ``training``: mini-batch Adam on the logistic loss, the reference of the chapter's
  training-loop exercise.
"""
from companion.chapters.ch05.averages import effective_window, ewa, noisy_series, notes_ewa, weights
from companion.chapters.ch05.batch_sizes import (
                                                 around_powers_of_two,
                                                 compare_to_neighbours,
                                                 epoch_times,
                                                 format_table,
                                                 one_epoch,
)
from companion.chapters.ch05.explore import (
                                                 OPTIMIZERS,
                                                 compute_paths,
                                                 draw_paths,
                                                 explorer,
                                                 make_optimizer,
)
from companion.chapters.ch05.notes_forms import (
                                                 NOTES_FORMS,
                                                 BiasCorrectedAdam,
                                                 EWAMomentum,
                                                 NotesAdam,
                                                 NotesMomentum,
                                                 NotesRMSProp,
                                                 lookahead_nesterov,
                                                 notes_adagrad,
)
from companion.chapters.ch05.surfaces import (
                                                 SURFACES,
                                                 Path,
                                                 PathRecorder,
                                                 Surface,
                                                 distance_to_minimum,
                                                 quadratic,
                                                 rosenbrock,
                                                 run_path,
                                                 saddle,
)
from companion.chapters.ch05.training import LogisticModel, minibatch_logistic_adam
from companion.chapters.ch05.twins import (
                                                 SHAPES,
                                                 Replay,
                                                 gradient_sequence,
                                                 initial_params,
                                                 relative_error,
                                                 run,
                                                 run_keras,
)

__all__ = ["NOTES_FORMS", "OPTIMIZERS", "SHAPES", "SURFACES", "BiasCorrectedAdam",
           "EWAMomentum", "LogisticModel", "NotesAdam", "NotesMomentum", "NotesRMSProp", "Path",
           "PathRecorder", "Replay", "Surface", "around_powers_of_two", "compare_to_neighbours",
           "compute_paths", "distance_to_minimum", "draw_paths", "effective_window",
           "epoch_times", "ewa", "explorer", "format_table", "gradient_sequence",
           "initial_params", "lookahead_nesterov", "make_optimizer", "minibatch_logistic_adam",
           "noisy_series", "notes_adagrad", "notes_ewa", "one_epoch", "quadratic",
           "relative_error", "rosenbrock", "run", "run_keras", "run_path", "saddle", "weights"]
