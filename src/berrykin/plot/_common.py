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


#: Styles that keep coinciding curves visible (drawn in this order, later ones on top): a wide
#: solid line underneath, then narrower dashed/dotted lines with markers.
OVERLAY_STYLES = (
    {"ls": "-", "lw": 3.2, "alpha": 0.55, "zorder": 2},
    {"ls": "--", "lw": 1.6, "marker": "o", "mfc": "none", "ms": 6, "zorder": 3},
    {"ls": ":", "lw": 1.6, "marker": "s", "mfc": "none", "ms": 5, "zorder": 4},
    {"ls": "-.", "lw": 1.2, "marker": "^", "mfc": "none", "ms": 4, "zorder": 5},
    {"ls": "--", "lw": 1.0, "marker": "v", "mfc": "none", "ms": 3.5, "zorder": 6},
    {"ls": ":", "lw": 0.9, "marker": "d", "mfc": "none", "ms": 3, "zorder": 7},
)


def overlay_style(i: int, n_points: int = 0) -> dict:
    """Keyword arguments of ``ax.plot`` for the ``i``-th of several curves that may coincide
    (see :data:`OVERLAY_STYLES`; beyond their number the styles repeat one layer higher);
    markers every ``n_points // 12`` points, offset per curve."""
    style = dict(OVERLAY_STYLES[i % len(OVERLAY_STYLES)])
    style["zorder"] += 6 * (i // len(OVERLAY_STYLES))
    if "marker" in style:
        style["markevery"] = (i * max(n_points // 36, 1) % max(n_points // 12, 1),
                              max(n_points // 12, 1))
    return style


def _split_outside_math(text: str) -> list[str]:
    """Words of ``text`` split at spaces that are not inside ``$...$`` (mathtext)."""
    words, current, in_math = [], "", False
    for ch in text:
        if ch == "$":
            in_math = not in_math
        if ch == " " and not in_math:
            words.append(current)
            current = ""
        else:
            current += ch
    return [w for w in words + [current] if w]


def _wrap_words(words: list[str], n_lines: int) -> str:
    """Join ``words`` into ``n_lines`` lines of similar length."""
    target = sum(len(w) + 1 for w in words) / n_lines
    lines, current = [], ""
    for w in words:
        if current and len(current) + 1 + len(w) > target and len(lines) < n_lines - 1:
            lines.append(current)
            current = w
        else:
            current = f"{current} {w}" if current else w
    return "\n".join(lines + [current])


def _inside(bbox, box, tol: float = 0.5) -> bool:
    return (bbox.x0 >= box.x0 - tol and bbox.x1 <= box.x1 + tol
            and bbox.y0 >= box.y0 - tol and bbox.y1 <= box.y1 + tol)


def fit_title(target, text: str, max_lines: int = 6, **kwargs):
    """``target.set_title(text, **kwargs)`` for axes (``suptitle`` for a figure), with line
    breaks (at spaces outside ``$...$``) added until the drawn title lies inside the figure
    (constrained layout; checked by drawing the figure without rendering). Returns the
    title's :class:`~matplotlib.text.Text`."""
    if hasattr(target, "suptitle"):  # a Figure
        fig, title = target, target.suptitle(text, **kwargs)
    else:
        fig, title = target.figure, target.set_title(text, **kwargs)
    words = _split_outside_math(text)
    for n_lines in range(2, min(max_lines, len(words)) + 1):
        fig.draw_without_rendering()
        if _inside(title.get_window_extent(), fig.bbox):
            break
        title.set_text(_wrap_words(words, n_lines))
    return title


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
