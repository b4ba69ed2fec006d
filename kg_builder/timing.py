"""Timing the stages of a long run."""

from __future__ import annotations

import time


class StageClock:
    """Records, under a stage name, the seconds since the previous lap (None: restart without recording)."""

    def __init__(self, seconds: dict[str, float]) -> None:
        self.seconds = seconds
        self.last = time.perf_counter()

    def lap(self, stage: str | None) -> None:
        now = time.perf_counter()
        if stage:
            self.seconds[stage] = round(now - self.last, 3)
        self.last = now
