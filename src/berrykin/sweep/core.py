"""Parameter sweeps on a Dask distributed cluster (or serially), merged into one Dataset.

:func:`sweep` runs ``runner(with_overrides(config, point), out_dir/point_xxx)`` for every point
of the Cartesian product of ``over`` (default runner: :func:`berrykin.config.run_config`, which
writes ``result.nc``), and merges the per-point results into one ``xarray.Dataset`` whose
dimensions include the swept parameters (named by their dotted keys); time series whose times
or lengths differ between points are merged without padding (:mod:`.merge`).

Robustness:

* a worker lost mid-sweep (killed process): Dask reschedules its task on another worker;
* a failed point (the runner raised, or the task was lost too often: ``KilledWorker``) is
  retried ``retries`` times (default once), then *reported*: ``point_ok`` is False there, its
  data are NaN, and the error is listed in ``attrs['sweep_failures']`` (JSON) and in
  ``out_dir/failures.json`` (rewritten on every call; ``[]`` when nothing failed);
* re-running skips finished points (``result.nc`` present and its configuration hash equal to
  the point's, see :mod:`.points`), so an interrupted sweep continues where it stopped.

The merged Dataset is also written (with provenance) to ``out_dir/sweep.nc``.
"""

from __future__ import annotations

import json
import pathlib
import uuid

from ..errors import ParameterError, SchedulerError
from ..io.atomic import atomic_write
from ..io.netcdf import read_dataset, write_dataset
from .merge import merge_results
from .points import RESULT, is_finished, make_points, plain, run_point

__all__ = ["sweep", "SchedulerError"]

FAILURES = "failures.json"
MERGED = "sweep.nc"
#: Seconds to wait for a scheduler given by address before :class:`SchedulerError`.
CONNECT_TIMEOUT = 10


def _client(scheduler, n_workers):
    """``(client, cleanup)`` for the scheduler argument (see :func:`sweep`)."""
    from distributed import Client, LocalCluster

    if scheduler is None:
        if isinstance(n_workers, bool) or not isinstance(n_workers, int) or n_workers < 1:
            raise ParameterError("n_workers", n_workers, "an integer >= 1 (worker processes)")
        cluster = LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True,
                               dashboard_address=None)
        client = Client(cluster)
        return client, lambda: (client.close(), cluster.close())
    if isinstance(scheduler, Client):
        return scheduler, lambda: None
    if isinstance(scheduler, str) or hasattr(scheduler, "scheduler_address"):
        address = getattr(scheduler, "scheduler_address", scheduler)
        try:
            client = Client(scheduler, timeout=CONNECT_TIMEOUT)
        except (OSError, TimeoutError, ValueError, TypeError) as exc:  # refused, unknown host, bad address
            reason = f"no scheduler answered within {CONNECT_TIMEOUT} s" \
                if isinstance(exc, (OSError, TimeoutError)) else "not a scheduler address"
            raise SchedulerError(address, reason) from None
        return client, client.close
    raise ParameterError("scheduler", scheduler,
                         "None (a LocalCluster), 'serial', a scheduler address, a Client or a cluster")


def _run_serial(runner, todo, retries):
    outcome = {}
    for p in todo:
        for attempt in range(1 + retries):
            rec = run_point(runner, p)
            rec["attempts"] = attempt + 1
            if rec["ok"]:
                break
        outcome[p.index] = rec
    return outcome


def _run_dask(client, runner, todo, retries):
    from distributed import as_completed

    tag = uuid.uuid4().hex[:8]

    def submit(p, attempt):
        fut = client.submit(run_point, runner, p, key=f"berrykin-point-{p.index}-try{attempt}-{tag}")
        meta[fut.key] = (p, attempt)
        return fut

    meta, outcome = {}, {}
    queue = as_completed([submit(p, 1) for p in todo])
    for fut in queue:
        p, attempt = meta.pop(fut.key)
        try:
            rec = fut.result()
        except Exception as exc:  # KilledWorker, lost data, unpicklable runner, ...
            rec = {"ok": False, "error": f"{type(exc).__name__}: {exc}", "traceback": ""}
        fut.release()
        rec["attempts"] = attempt
        if not rec["ok"] and attempt <= retries:
            queue.add(submit(p, attempt + 1))
            continue
        outcome[p.index] = rec
    return outcome


def _merge(over, points, ok):
    parts = {p.index: read_dataset(pathlib.Path(p.directory) / RESULT) for p in points if p.index in ok}
    return merge_results(over, parts)


def sweep(config: dict, over: dict, out_dir, *, scheduler=None, n_workers: int = 2, runner=None,
          retries: int = 1):
    """Run ``config`` at every point of ``over`` and merge the results.

    Parameters
    ----------
    config : the base configuration: a :class:`berrykin.config.Config` or its dict form.
    over : ``{dotted key: [values]}``, e.g. ``{"model.m": [-1.0, 1.0], "field.b": [0.1, 0.2]}``;
        the Cartesian product is swept and each key becomes a dimension of the result.
    out_dir : directory of the sweep: ``point_xxx/`` per point, ``failures.json``, ``sweep.nc``.
    scheduler : ``None``: a ``LocalCluster`` of ``n_workers`` single-threaded processes, closed
        at the end; a scheduler address (``'tcp://...'``), a ``distributed.Client`` or a cluster
        object: use it (an address where no scheduler answers within :data:`CONNECT_TIMEOUT`
        seconds raises :class:`~berrykin.errors.SchedulerError`); ``'serial'``: run in this
        process, one point after another.
    runner : ``runner(config, directory) -> xarray.Dataset`` (module-level, picklable), called
        with the point's ``Config`` (from :func:`berrykin.config.with_overrides`); default
        :func:`berrykin.config.run_config`. If it does not write ``directory/result.nc`` the
        returned Dataset is written there.
    retries : extra attempts for a failed point (default 1).

    Every key of ``over`` must address a field of ``config`` that the run uses
    (:func:`berrykin.sweep.points.check_keys`, then the validation of every point), else
    :class:`~berrykin.config.ConfigError` before anything runs.

    Returns the merged ``xarray.Dataset`` (layout: :mod:`berrykin.sweep.merge`; swept keys as
    leading dimensions, ``point_ok``; attrs ``sweep_over``, ``sweep_failures`` (JSON),
    ``sweep_n_failed``, ``sweep_n_reused``).

    >>> import tempfile, xarray as xr
    >>> cfg = {"model": {"type": "MassiveDirac2D"}, "experiment": {"type": "trajectories"}}
    >>> def runner(config, directory):  # y = m^2 from the point's configuration
    ...     m = config.to_dict()["model"]["parameters"]["m"]
    ...     return xr.Dataset({"y": m ** 2})
    >>> ds = sweep(cfg, {"model.parameters.m": [1.0, 2.0]}, tempfile.mkdtemp(), scheduler="serial",
    ...            runner=runner)
    >>> ds["y"].values.tolist(), ds.attrs["sweep_n_failed"]
    ([1.0, 4.0], 0)
    """
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise ParameterError("retries", retries, "an integer >= 0")
    if runner is not None and not callable(runner):
        raise ParameterError("runner", runner, "None or a callable runner(config, directory)")
    over, points = make_points(config, over, out_dir)
    out = pathlib.Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    done = {p.index for p in points if is_finished(p)}
    todo = [p for p in points if p.index not in done]
    outcome = {}
    if todo:
        if isinstance(scheduler, str) and scheduler == "serial":
            outcome = _run_serial(runner, todo, retries)
        else:
            client, cleanup = _client(scheduler, n_workers)
            try:
                outcome = _run_dask(client, runner, todo, retries)
            finally:
                cleanup()
    ok = done | {i for i, rec in outcome.items() if rec["ok"]}
    failures = [{"index": p.index, "point": p.label, "directory": p.directory,
                 "error": outcome.get(p.index, {}).get("error", "no result"),
                 "attempts": outcome.get(p.index, {}).get("attempts", 0),
                 "traceback": outcome.get(p.index, {}).get("traceback", "")}
                for p in points if p.index not in ok]
    atomic_write(out / FAILURES, lambda fh: json.dump(failures, fh, indent=1, sort_keys=True))
    merged = _merge(over, points, ok)
    merged.attrs.update({
        "sweep_over": json.dumps(over), "sweep_n_points": len(points), "sweep_n_failed": len(failures),
        "sweep_n_reused": len(done), "sweep_out_dir": str(out),
        "sweep_failures": json.dumps([{k: f[k] for k in ("index", "point", "error", "attempts")}
                                      for f in failures]),
    })
    write_dataset(merged, out / MERGED, config={"config": plain(config), "over": over})
    return merged
