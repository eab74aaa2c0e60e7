"""One BLAS-thread limiter for the whole package."""
from __future__ import annotations

import contextlib

from companion.nn.validation import check_int

_CONTROLLER: list = []


def blas_threads(n: int = 1):
    """Limit BLAS to ``n`` threads (through threadpoolctl when it is installed).

    Use it as a context (``with blas_threads(1): ...``) or call it bare to set the limit for the
    rest of the process (a pool worker does that). Small matrix products, as in a recurrent time
    loop or a tiny network, gain nothing from a multi-threaded BLAS and, on a busy machine, lose a
    lot waiting for its threads (benchmarks/rnn.py measured 10-70x slow-downs at load 8 on 2
    cores). Costs a few microseconds per use.
    """
    if type(n) is not int or n < 1:          # per forward pass: the usual int costs nothing
        n = check_int(n, "n (the number of BLAS threads)")
    if not _CONTROLLER:
        try:
            from threadpoolctl import ThreadpoolController
            _CONTROLLER.append(ThreadpoolController())
        except ImportError:                       # optional: without it, nothing changes
            _CONTROLLER.append(None)
    if _CONTROLLER[0] is None:
        return contextlib.nullcontext()
    return _CONTROLLER[0].limit(limits=n, user_api="blas")
