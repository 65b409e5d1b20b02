"""Gap-closing and resolution checks of :func:`berrykin.geometry.chern.chern_number`.

Criteria (derived in docs/conventions.md, "Gap closings"): the flux is undefined where
``|Delta| <= GAP_RTOL max |Delta|`` on the grid (GapClosingError), and the grid does not resolve
the smallest gap where texture vectors of neighbouring grid points differ by more than
``MAX_NEIGHBOUR_ANGLE`` (ResolutionWarning): near a cone of mass M and velocity v neighbours a
spacing h apart differ by up to ``atan(v h/|M|)``, which is 45 degrees at ``h = |M|/v``.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from ..conventions import coordinate_names
from ..errors import GapClosingError, ResolutionWarning

__all__ = ["GAP_RTOL", "MAX_NEIGHBOUR_ANGLE", "check_gap_on_grid"]

#: The gap counts as closed on the grid where ``|Delta| <= GAP_RTOL * max |Delta|`` (the largest
#: |Delta| on the grid is the scale of the band splitting): GapClosingError.
GAP_RTOL = 1e-8
#: Largest angle (rad) between the texture vectors m of neighbouring grid points (plaquette edges
#: and the diagonal n1-n3 of the FHS triangles) for which the grid resolves the texture; above
#: it chern_number warns (ResolutionWarning). See docs/conventions.md, "Gap closings".
MAX_NEIGHBOUR_ANGLE = math.pi / 4


def check_gap_on_grid(model, plane, bounds, shape, base, point_items, gmin, gmax, cos, total):
    """GapClosingError where ``|Delta| <= GAP_RTOL max |Delta|`` on the grid (or Delta is not
    finite); ResolutionWarning where neighbouring texture vectors differ by more than
    :data:`MAX_NEIGHBOUR_ANGLE` (the grid cannot resolve the smallest gap)."""
    if not (gmin > (GAP_RTOL * GAP_RTOL) * gmax and math.isfinite(total) and math.isfinite(gmax)):
        point = _smallest_gap_point(model, plane, bounds, shape, base)
        point.update(dict(point_items))
        gap = math.sqrt(gmin) if math.isfinite(gmin) else float("nan")
        raise GapClosingError(
            f"chern_number (Berry flux through plane={plane})", point, gap,
            f"the gap closes on the grid (|Delta| <= {GAP_RTOL:g} x max |Delta| = "
            f"{math.sqrt(gmax) if math.isfinite(gmax) else float('nan'):.3g}), where the flux is not "
            f"defined: move the model off the transition (its parameters), the bounds or the point")
    angle = math.acos(max(-1.0, min(1.0, cos)))
    if angle > MAX_NEIGHBOUR_ANGLE:
        warnings.warn(
            f"chern_number: the texture m turns by up to {math.degrees(angle):.0f} degrees between "
            f"neighbouring grid points of shape={shape} (resolved: <= "
            f"{math.degrees(MAX_NEIGHBOUR_ANGLE):.0f}); the smallest gap on the grid, |Delta| = "
            f"{math.sqrt(gmin):.3g}, is not resolved and the integer may be wrong: refine shape",
            ResolutionWarning, stacklevel=3)


def _smallest_gap_point(model, plane, bounds, shape, base):
    """``{name: value}`` of the plane coordinates where |Delta| is smallest on the grid (only
    on the error path: one more evaluation of Delta, in row blocks)."""
    from .api import gap_vector

    d = model.dim
    a = np.linspace(*bounds[0], shape[0] + 1)
    b = np.linspace(*bounds[1], shape[1] + 1)
    names = coordinate_names(d)
    i1, i2 = names.index(plane[0]), names.index(plane[1])
    best = (np.inf, 0.0, 0.0)
    for start in range(0, a.size, 256):
        X = np.broadcast_to(base, (min(256, a.size - start), b.size, base.size)).copy()
        X[..., i1] = a[start : start + 256, None]
        X[..., i2] = b[None, :]
        g = np.linalg.norm(gap_vector(model, X[..., :d], X[..., d : 2 * d], X[..., 2 * d]), axis=-1)
        g = np.where(np.isfinite(g), g, -1.0)  # a non-finite Delta counts first
        k = np.unravel_index(np.argmin(g), g.shape)
        if g[k] < best[0]:
            best = (g[k], float(a[start + k[0]]), float(b[k[1]]))
    return {plane[0]: best[1], plane[1]: best[2]}
