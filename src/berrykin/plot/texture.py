"""2D maps of the texture m = Delta/|Delta| and of one component F_IJ of the Berry curvature."""

from __future__ import annotations

import numpy as np
from scipy.integrate import trapezoid

from ..conventions import coordinate_names
from ..errors import ParameterError
from ..geometry import berry_curvature, texture
from ..models.base import check_finite
from ._common import axis_label, coordinate_kind, curvature_unit, fit_title, new_figure


def default_plane(model) -> tuple[str, str]:
    """Real space (x, y) for an r-dependent 2D model, (p_x, p_y) for other models in d >= 2,
    (p_x, t) in 1D (e.g. the Rice-Mele pump cycle)."""
    if model.dim == 1:
        return ("p_x", "t")
    if model.depends_on_r:
        return ("x", "y")
    return ("p_x", "p_y")


def default_range(model, name: str) -> tuple[float, float]:
    """Plot range of a coordinate: the Brillouin zone for lattice momenta, one period in t for a
    periodically driven model, a few texture lengths in r, else [-4, 4]."""
    kind = coordinate_kind(name)
    period = getattr(model, "momentum_period", None)
    if kind == "p" and period:
        return (-period / 2, period / 2)
    if kind == "t":
        T = getattr(model, "period", None)
        return (0.0, float(T)) if T else (0.0, 10.0)
    if kind == "r":
        tex = getattr(model, "texture", None)
        if tex is not None and hasattr(tex, "radius"):
            half = tex.radius + 2.0 * tex.width
            cx, cy = tex.center
            c = cx if name == "x" else cy if name == "y" else 0.0
            return (c - half, c + half)
        if tex is not None and hasattr(tex, "center") and name == "x":
            return (tex.center - 4 * tex.width, tex.center + 4 * tex.width)
    return (-4.0, 4.0)


def texture_map(model, plane=None, fixed=None, extent=None, n: int = 100):
    """Evaluate ``m`` and ``F_IJ`` (I, J = ``plane``) on an n x n grid of that plane.

    ``fixed`` maps the other coordinate names (see :func:`berrykin.conventions.coordinate_names`)
    to values (default 0). ``extent = (a0, a1, b0, b1)``. An even ``n`` keeps the origin off
    the grid (where a Weyl node or a Dirac point at m = 0 is singular). Returns a dict with
    ``plane``, ``extent``, ``axes`` (two 1D arrays), ``m`` (n, n, 3) and ``F`` (n, n), rows
    along the second coordinate.
    """
    names = coordinate_names(model.dim)
    plane = tuple(plane) if plane is not None else default_plane(model)
    if len(plane) != 2 or plane[0] == plane[1] or any(c not in names for c in plane):
        raise ParameterError("plane", plane, f"two different coordinates among {names}")
    fixed = dict(fixed or {})
    for key in fixed:
        if key not in names or key in plane:
            raise ParameterError(f"fixed[{key!r}]", fixed[key],
                                 f"a coordinate among {names} outside the plane {plane}")
    n = int(n)
    if n < 2:
        raise ParameterError("n", n, "an integer >= 2")
    if extent is None:
        extent = default_range(model, plane[0]) + default_range(model, plane[1])
    extent = tuple(check_finite("extent", e) for e in extent)
    if len(extent) != 4 or extent[0] >= extent[1] or extent[2] >= extent[3]:
        raise ParameterError("extent", extent, "(a_min, a_max, b_min, b_max) with min < max")

    a = np.linspace(extent[0], extent[1], n)
    b = np.linspace(extent[2], extent[3], n)
    A, B = np.meshgrid(a, b)  # rows follow the second coordinate (imshow convention)
    X = np.empty((n, n, len(names)))
    for idx, name in enumerate(names):
        X[..., idx] = check_finite(f"fixed[{name!r}]", fixed.get(name, 0.0))
    i, j = names.index(plane[0]), names.index(plane[1])
    X[..., i], X[..., j] = A, B
    d = model.dim
    r = X[..., :d] if (model.depends_on_r or i < d or j < d) else None
    p, t = X[..., d : 2 * d], X[..., 2 * d]
    # maps show a gap closing as a hole (NaN), not an error (docs/conventions.md, "Gap closings")
    m = texture(model, r, p, t, nan_at_gap_closing=True)
    F = berry_curvature(model, r, p, t, nan_at_gap_closing=True)[..., i, j]
    return {"plane": plane, "extent": extent, "axes": (a, b), "m": m, "F": F}


def _symmetric_limit(values) -> float:
    finite = np.abs(values[np.isfinite(values)])
    if finite.size == 0:
        return 1.0
    lim = float(np.percentile(finite, 99.5))
    return lim if lim > 0 else 1.0


def plot_texture(model, plane=None, *, fixed=None, extent=None, n: int = 100, component: str = "z"):
    """Two maps over a plane of phase space and time: a texture component and ``F_IJ``.

    Left: ``m_component`` with ``m = Delta/|Delta|`` (:func:`berrykin.texture`). Right: the
    Berry curvature ``F_IJ = m . (d_I m x d_J m)`` (Eq. 18, ERRATA; band curvature is
    ``q_s F_IJ``, ``q_s = -s/2``) for the plane ``(I, J)``. Defaults: real space at p = 0 for
    :class:`~berrykin.models.TexturedFerromagnet2D` (skyrmion n_z and its ``F_xy``, whose
    integral is ``4 pi`` times the winding), the Brillouin zone for :class:`~berrykin.models.QWZ`
    (``F_{p_x p_y}`` integrates to ``-4 pi nu``), ``(p_x, t)`` over one cycle for
    :class:`~berrykin.models.RiceMele`. See :func:`texture_map` for ``fixed``, ``extent``, ``n``.
    Returns the Figure (Agg canvas); writes nothing.
    """
    comps = {"x": 0, "y": 1, "z": 2}
    if component not in comps:
        raise ParameterError("component", component, "'x', 'y' or 'z'")
    data = texture_map(model, plane, fixed, extent, n)
    I, J = data["plane"]
    ext = data["extent"]
    fig, (ax_m, ax_f) = new_figure(ncols=2, width=4.8, height=4.0)
    aspect = "equal" if coordinate_kind(I) == coordinate_kind(J) else "auto"
    im = ax_m.imshow(data["m"][..., comps[component]], origin="lower", extent=ext, aspect=aspect,
                     cmap="coolwarm", vmin=-1.0, vmax=1.0, interpolation="nearest")
    fig.colorbar(im, ax=ax_m, label=f"$m_{component}$ (dimensionless)")
    lim = _symmetric_limit(data["F"])
    im = ax_f.imshow(data["F"], origin="lower", extent=ext, aspect=aspect, cmap="RdBu_r",
                     vmin=-lim, vmax=lim, interpolation="nearest")
    fig.colorbar(im, ax=ax_f, label=rf"$\mathcal{{F}}_{{{I}\,{J}}}$ [{curvature_unit(I, J)}]")
    where = ", ".join(f"{k} = {v:g}" for k, v in (fixed or {}).items())
    for ax, title in ((ax_m, f"texture $m_{component}$"),
                      (ax_f, rf"Berry curvature $\mathcal{{F}}_{{{I}\,{J}}}$")):
        ax.set_xlabel(axis_label(I))
        ax.set_ylabel(axis_label(J))
        ax.set_title(title)
    name = type(model).__name__
    params = ", ".join(f"{k}={v:g}" for k, v in model.parameters.items()
                       if isinstance(v, (int, float)) and not isinstance(v, bool))
    fit_title(fig, f"{name}({params})" + (f" at {where}" if where else "") + r"  ($\hbar = e = 1$)")
    return fig


def integrate_map(data) -> float:
    """``Int F_IJ dI dJ`` over a :func:`texture_map` grid by the trapezoidal rule (spectrally
    accurate for periodic or rapidly decaying smooth integrands)."""
    a, b = data["axes"]
    return float(trapezoid(trapezoid(data["F"], a, axis=1), b))


__all__ = ["default_plane", "default_range", "integrate_map", "plot_texture", "texture_map"]
