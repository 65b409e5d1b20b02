"""Face-level primitives shared by the fused stage kernels (Numba, inlined into each kernel).

``limiter_fn(lim)`` returns the limited MUSCL slope ``L(a, b)`` of the left and right
differences for a :class:`~.options.Limiter` code, written branch-free where possible so that
LLVM vectorises the contiguous row loops; the values equal :func:`.kernels.limit_scalar` to
round-off (the tests compare). ``upwind_flux(u, w, La, Ra, Lb, Rb)`` is the face flux of band a:
its own normal velocity ``u`` upwinds its face states (La from the lower cell, Ra from the upper)
and the interband velocity ``w`` upwinds the states of the other band b (paper Eq. 26 corrected,
ERRATA 1; docs/conventions.md).
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["limiter_fn", "upwind_flux"]


@njit(inline="always")
def upwind_flux(u, w, La, Ra, Lb, Rb):
    """Upwind flux of band a (states La, Ra) plus the interband flux of band b."""
    return max(u, 0.0) * La + min(u, 0.0) * Ra + max(w, 0.0) * Lb + min(w, 0.0) * Rb


def limiter_fn(lim):
    """The compiled, inlinable slope limiter ``L(a, b)`` for limiter code ``lim``."""
    if lim == 0:
        return njit(inline="always")(lambda a, b: 0.0 * a)
    if lim == 4:
        return njit(inline="always")(lambda a, b: 0.5 * (a + b))
    if lim == 1:
        def minmod(a, b):
            return (np.copysign(0.5, a) + np.copysign(0.5, b)) * min(abs(a), abs(b))
        return njit(inline="always")(minmod)
    if lim == 2:
        def vanleer(a, b):  # written so that LLVM vectorises it (a select, no bool arithmetic)
            t = a * b
            den = a + b
            den = den if den != 0.0 else 1.0
            return (t + abs(t)) / den
        return njit(inline="always")(vanleer)

    def mc(a, b):
        m = min(min(2.0 * abs(a), 2.0 * abs(b)), 0.5 * abs(a + b))
        return (np.copysign(0.5, a) + np.copysign(0.5, b)) * m
    return njit(inline="always")(mc)
