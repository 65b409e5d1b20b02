"""Plain-text progress on stderr: ``[#####.....]  50%  streda: running  12.3 s``.

Drawn only when the stream is a terminal (and not with --quiet); a background thread redraws
the elapsed time twice a second while a long stage runs. No dependencies.
"""

from __future__ import annotations

import sys
import threading
import time

__all__ = ["TextProgress"]


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
