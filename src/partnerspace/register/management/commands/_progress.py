"""The progress bar of kbo_load and kbo_update, on a terminal only."""

import time

PHASES = {
    "index": "Indexing the new copy…",
    "switch": "Switching to the new copy…",
}


class ProgressBar:
    WIDTH = 40

    def __init__(self, out):
        self.out = out
        self.started = time.monotonic()
        self.shown = -1

    def __call__(self, phase: str, done: int, total: int) -> None:
        if phase == "read":
            percent = int(done * 100 / total) if total else 100
            if percent == self.shown:
                return
            self.shown = percent
            filled = self.WIDTH * percent // 100
            elapsed = time.monotonic() - self.started
            self.out.write(
                f"\r[{'#' * filled}{' ' * (self.WIDTH - filled)}] {percent:3d}%  {elapsed:5.0f} s",
                ending="",
            )
            self.out.flush()
            return
        if self.shown >= 0:
            self.out.write("")
            self.shown = -2
        self.out.write(PHASES.get(phase, phase))
        self.out.flush()
