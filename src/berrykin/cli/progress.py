"""Plain-text progress on stderr: ``[#####.....]  50%  streda: running  12.3 s``.

:class:`TextProgress` is drawn only when the stream is a terminal (and not with --quiet); a
background thread redraws the elapsed time twice a second while a long stage runs.
:class:`SectionProgress` follows a run made of named sections (``berrykin reproduce``): the
same bar on a terminal, else one line per finished section with its time. No dependencies.
"""

from __future__ import annotations

import contextlib
import sys
import threading
import time

__all__ = ["SectionProgress", "TextProgress"]


class TextProgress:
    """Callable ``progress(done, total, message)``; use as a context manager so that the line
    is finished (and the redraw thread stopped) however the run ends."""

    def __init__(self, stream=None, enabled=None, width: int = 24, interval: float = 0.5):
        self.stream = sys.stderr if stream is None else stream
        if enabled is None:
            isatty = getattr(self.stream, "isatty", None)
            enabled = bool(isatty and isatty())
        self.enabled = enabled
        self.width = width
        self.interval = interval
        self._state = (0.0, 1.0, "")
        self._start = time.perf_counter()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = None
        self._drawn = False

    def line(self) -> str:
        """The current progress line (without carriage return)."""
        done, total, message = self._state
        frac = min(max(done / total, 0.0), 1.0) if total else 0.0
        bar = "#" * int(round(frac * self.width))
        elapsed = time.perf_counter() - self._start
        return f"[{bar:<{self.width}}] {frac:4.0%}  {message}  {elapsed:.1f} s"

    def _draw(self):
        with self._lock:
            self.stream.write("\r" + self.line() + "\x1b[K")
            self.stream.flush()
            self._drawn = True

    def _loop(self):
        while not self._stop.wait(self.interval):
            self._draw()

    def __call__(self, done, total, message: str = "") -> None:
        self._state = (float(done), float(total), str(message))
        if not self.enabled:
            return
        self._draw()
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="berrykin-progress", daemon=True)
            self._thread.start()

    def close(self) -> None:
        """Stop redrawing and end the line."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if self.enabled and self._drawn:
            with self._lock:
                self.stream.write("\n")
                self.stream.flush()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


class SectionProgress:
    """Progress of a run of ``total`` named sections, on ``stream`` (default stderr).

    On a terminal: a :class:`TextProgress` bar, ``[####....]  30%  [4/13] faraday  12.3 s``.
    Otherwise (a pipe, a log file, CI): one line per finished section,
    ``berrykin reproduce: [4/13] faraday  1.2 s (total 5.3 s)``, flushed at once so that a log
    shows how far a run got. ``enabled=False`` (--quiet) prints nothing. Use
    ``with progress.section(name): ...`` around each section and the object itself as a
    context manager (the bar's line is ended however the run ends).
    """

    def __init__(self, total: int, prefix: str = "berrykin", stream=None, enabled: bool = True,
                 terminal: bool | None = None):
        self.stream = sys.stderr if stream is None else stream
        if terminal is None:
            isatty = getattr(self.stream, "isatty", None)
            terminal = bool(isatty and isatty())
        self.total, self.prefix, self.enabled, self.terminal = int(total), prefix, enabled, terminal
        self.done = 0
        self.times: dict[str, float] = {}
        self._start = time.perf_counter()
        self._bar = TextProgress(self.stream, enabled=enabled and terminal)

    @contextlib.contextmanager
    def section(self, name: str):
        """Time the enclosed block as the next section (recorded in :attr:`times`)."""
        self._bar(self.done, self.total, f"[{self.done + 1}/{self.total}] {name}")
        t0 = time.perf_counter()
        yield
        self.times[name] = time.perf_counter() - t0
        self.done += 1
        self._bar(self.done, self.total, f"[{self.done}/{self.total}] {name} done")
        if self.enabled and not self.terminal:
            total = time.perf_counter() - self._start
            self.stream.write(f"{self.prefix}: [{self.done}/{self.total}] {name}  "
                              f"{self.times[name]:.1f} s (total {total:.1f} s)\n")
            self.stream.flush()

    def close(self) -> None:
        self._bar.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False
