"""Chapter 4's exercise checkers (one module per part, every checker re-exported here):

- ``network``: the L-layer forward and backward passes, the L2 term of the gradient, inverted
  dropout, early stopping;
- ``softmax``: softmax with the categorical cross-entropy and its gradient;
- ``capstone``: the learner's own functions train the digits network (borrowing the
  package's for any not finished yet).
"""

from .capstone import capstone
from .network import (
    BACKWARD_MISTAKES,
    DROPOUT_MISTAKES,
    ES_MISTAKES,
    FORWARD_MISTAKES,
    L2_MISTAKES,
    check_deep_backward,
    check_deep_forward,
    check_dropout,
    check_early_stopping,
    check_l2_gradients,
)
from .softmax import MISTAKES as SOFTMAX_MISTAKES
from .softmax import check_softmax_cross_entropy

__all__ = ["BACKWARD_MISTAKES", "DROPOUT_MISTAKES", "ES_MISTAKES", "FORWARD_MISTAKES",
           "L2_MISTAKES", "SOFTMAX_MISTAKES", "capstone", "check_deep_backward",
           "check_deep_forward", "check_dropout", "check_early_stopping", "check_l2_gradients",
           "check_softmax_cross_entropy"]
