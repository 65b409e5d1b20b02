"""Figure creation, units of the phase-space coordinates and atomic saving (internal helpers).

Figures are created as :class:`matplotlib.figure.Figure` objects with an Agg canvas attached
inside each function: nothing here touches pyplot or the global matplotlib backend, so
importing :mod:`berrykin.plot` has no side effects.
"""

from __future__ import annotations

import os

from ..io import atomic_write

#: Unit of each kind of coordinate as exponents of (length, energy), with hbar = e = 1:
#: positions in length, momenta (wave numbers) in 1/length, time in 1/energy.
_UNIT_EXPONENTS = {"r": (1, 0), "p": (-1, 0), "t": (0, -1)}


def new_figure(ncols: int = 1, width: float = 5.0, height: float = 3.8):
    """A fresh Agg-backed Figure with ``ncols`` axes side by side; returns (fig, axes list)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width * ncols, height), layout="constrained")
    FigureCanvasAgg(fig)
    axes = [fig.add_subplot(1, ncols, i + 1) for i in range(ncols)]
    return fig, axes


def target_axes(ax=None, width: float = 5.0, height: float = 3.8):
    """``(figure, ax)``: the given axes and their figure, or a fresh one-axes figure."""
    if ax is None:
        fig, (ax,) = new_figure(width=width, height=height)
        return fig, ax
    return ax.figure, ax


def coordinate_kind(name: str) -> str:
    """``'r'``, ``'p'`` or ``'t'`` for a coordinate name such as ``'x'``, ``'p_y'``, ``'t'``."""
    if name == "t":
        return "t"
    return "p" if name.startswith("p_") else "r"


def _format_units(exp_len: int, exp_en: int) -> str:
    parts = []
    for unit, e in (("length", exp_len), ("energy", exp_en)):
        if e == 1:
            parts.append(unit)
        elif e != 0:
            parts.append(f"{unit}$^{{{e}}}$")
    return "·".join(parts) if parts else "dimensionless"


def coordinate_unit(name: str) -> str:
    """Unit of a coordinate (hbar = e = 1), e.g. ``'length$^{-1}$'`` for ``'p_x'``."""
    return _format_units(*_UNIT_EXPONENTS[coordinate_kind(name)])


def curvature_unit(name_i: str, name_j: str) -> str:
    """Unit of ``F_IJ = m . (d_I m x d_J m)``: the inverse of the product of the two units."""
    li, ei = _UNIT_EXPONENTS[coordinate_kind(name_i)]
    lj, ej = _UNIT_EXPONENTS[coordinate_kind(name_j)]
    return _format_units(-(li + lj), -(ei + ej))


def axis_label(name: str) -> str:
    """An axis label with units (hbar = e = 1), e.g. ``'$p_x$ [length$^{-1}$]'``."""
    return f"${name}$ [{coordinate_unit(name)}]"


def save_figure(fig, path) -> str:
    """Write ``fig`` to ``path`` atomically and return the path as a string.

    The image is written to a temporary file in the destination directory, flushed to disk
    and moved into place with :func:`os.replace`, so ``path`` is either the old file or the
    complete new one, never half-written. The format follows the suffix (``.png`` by default).
    """
    path = os.fspath(path)
    suffix = os.path.splitext(path)[1]
    fmt = suffix[1:].lower() if suffix else "png"
    atomic_write(path, lambda fh: fig.savefig(fh, format=fmt, dpi=fig.dpi), binary=True)
    return path
