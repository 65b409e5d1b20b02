"""A figure for any result dataset: :func:`berrykin.plot.plot_result` when this installation has
it, else a generic plot of the first variable with one or two dimensions (labels and units)."""

from __future__ import annotations

from pathlib import Path

__all__ = ["plot_dataset", "generic_plot"]


def _label(da, name) -> str:  # "long name [units]"
    units = da.attrs.get("units")
    long = da.attrs.get("long_name", name)
    return f"{long} [{units}]" if units else str(long)


def _squeezed(da):
    return da.squeeze(drop=True) if da.ndim > 2 else da


def generic_plot(ds, path):
    """Plot the first numeric variable of ``ds`` with 1 or 2 dimensions (after dropping
    dimensions of length 1) into the PNG ``path``: lines against the longer dimension (one per
    entry of a short second dimension, <= 8), else an image with a colour bar. Raises
    ParameterError if there is no such variable."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    from ..errors import ParameterError
    from ..io import atomic_write

    names = [v for v in ds.data_vars if ds[v].dtype.kind in "fiu" and _squeezed(ds[v]).ndim in (1, 2)]
    if not names:
        raise ParameterError("dataset", list(ds.data_vars), "a variable with 1 or 2 numeric dimensions")
    name = names[0]
    da = _squeezed(ds[name])
    fig, ax = plt.subplots(figsize=(5.5, 4.0))
    if da.ndim == 2 and min(da.shape) <= 8:
        if da.shape[0] <= 8 and da.shape[0] < da.shape[1]:
            da = da.transpose()
        da.plot.line(ax=ax, x=da.dims[0], add_legend=True)
    elif da.ndim == 1:
        da.plot.line(ax=ax)
    else:
        da.plot(ax=ax)
    ax.set_ylabel(_label(da, name)) if da.ndim == 1 or min(da.shape) <= 8 else None
    ax.set_title(str(ds.attrs.get("title", ds.attrs.get("experiment", name))))
    fig.tight_layout()
    atomic_write(path, lambda fh: fig.savefig(fh, format="png", dpi=120), binary=True)
    plt.close(fig)
    return str(path)


def plot_dataset(ds, path) -> str:
    """Write a PNG figure of ``ds`` to ``path`` (see the module docstring); returns the path.
    If :func:`berrykin.plot.plot_result` refuses the dataset, the generic plot is drawn."""
    import logging

    from ..errors import BerrykinError

    path = Path(path)
    try:
        from ..plot import plot_result
    except ImportError:
        return generic_plot(ds, path)
    import matplotlib.pyplot as plt

    try:
        fig = plot_result(ds, path)
    except BerrykinError as exc:
        logging.getLogger("berrykin.config").info("plot_result: %s; drawing the generic plot", exc)
        return generic_plot(ds, path)
    plt.close(fig)
    return str(path)
