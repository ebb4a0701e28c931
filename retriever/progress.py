"""One progress report for a whole index build: a single bar on a terminal, plain log lines anywhere else.

A build runs stages of very different lengths (reading, loading the models, chunking, up to four encodes, writing).
A bar per encode told neither how far the whole build was nor how long it would take, and in a log file its
carriage-return updates garbled the lines.  ``Progress`` is told the remaining stages and their expected cost once
they are known (``make_index`` knows them after chunking), so one percentage and one ETA cover the build.  On a
terminal it draws one bar, with the stage's name, on its stream; otherwise it logs a line when a stage starts and now
and then in between (``LOG_EVERY_SHARE``, ``LOG_EVERY_SECONDS``), never with a carriage return.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import TextIO

log = logging.getLogger("alliance_qa.index")

# Between two stage starts, a log line comes once both this share of the build and this many seconds have passed
# since the last line: a build of a minute logs its stages and a line or two, one of an hour about ten lines.
LOG_EVERY_SHARE = 0.10
LOG_EVERY_SECONDS = 10.0


@dataclass(frozen=True)
class Stage:
    """A planned stage: ``work`` in the plan's own unit (any scale: only the shares matter), over ``count`` items.

    A stage with no ``count`` is not counted as it goes: its work is credited when the next stage starts.
    """

    name: str
    work: float
    count: int = 0
    unit: str = "texts"


def duration(seconds: float) -> str:
    """``0:41``, ``12:05``, ``1:02:03``: how long, at a glance (what a clock or tqdm shows)."""
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class Progress:
    """How far a build is and how long it has left, reported to a person at a terminal or to a log.

    Use it as a context manager around the whole build: the bar lives inside the ``with`` block, which ends at 100%
    when the block completes (and where it stopped when it raises).  With ``enabled`` False it reports nothing.
    """

    def __init__(self, enabled: bool = True, stream: TextIO | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.enabled = enabled
        self.stream = stream if stream is not None else sys.stderr
        self.clock = clock
        self.total = 0.0  # work of the plan
        self.done = 0.0
        self._offsets: dict[str, float] = {}  # planned stage -> the plan's work before it
        self._plan: dict[str, Stage] = {}
        self._stage = Stage("starting", 0.0)
        self._count = 0  # items of the current stage done
        self._started = self._planned = clock()
        self._last_line = (0.0, self._started)  # share and time of the last log line
        self._bar = None  # the tqdm bar, on a terminal only
        self._exits = contextlib.ExitStack()

    def __enter__(self) -> Progress:
        if self.enabled and self.stream.isatty():
            from tqdm import tqdm
            from tqdm.contrib.logging import logging_redirect_tqdm

            self._bar = self._exits.enter_context(tqdm(  # in whole percent, floored as the log's: 100% means done
                total=100, file=self.stream, bar_format="{n:3d}%|{bar:20}| {desc}", dynamic_ncols=True,
                miniters=0))  # redrawn on time alone (at most ten times a second), whatever moved
            self._exits.enter_context(logging_redirect_tqdm())  # a log line printed above the bar, not into it
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if kind is None and self.enabled:
            self.done, self._stage = self.total, Stage(f"done in {duration(self.clock() - self._started)}", 0.0)
            if self._bar is not None:
                self._draw(force=True)
            else:
                log.info("[100%%] %s", self._stage.name)
        self._exits.close()

    @property
    def share(self) -> float:
        """How much of the build is done, 0 to 1 (0 until there is a plan)."""
        return min(1.0, self.done / self.total) if self.total > 0 else 0.0

    @property
    def percent(self) -> int:
        """The share in whole percent, floored: 100% means done."""
        return int(self.share * 100)

    @property
    def eta(self) -> float | None:
        """Seconds left, at the rate the plan has gone so far: None until some of it is done."""
        if self.done <= 0 or self.total <= 0:
            return None
        return (self.total - self.done) * (self.clock() - self._planned) / self.done

    def plan(self, stages: Sequence[Stage]) -> None:
        """The stages still to come, in order, each with its expected work: from here on the share and ETA mean
        something.  Stages not in the plan (the ones before it) still show their names, and move nothing."""
        offset, self._plan, self._offsets = 0.0, {}, {}
        for stage in stages:
            if stage.name in self._plan:
                raise ValueError(f"the plan names stage {stage.name!r} twice; give every stage its own name")
            self._plan[stage.name], self._offsets[stage.name] = stage, offset
            offset += stage.work
        self.total, self.done, self._planned = offset, 0.0, self.clock()

    def stage(self, name: str, count: int = 0, unit: str = "texts") -> None:
        """Stage ``name`` starts: the planned one of that name, or else a stage of ``count`` ``unit`` outside the plan.

        A planned stage starts at the work of the stages planned before it, done or skipped.
        """
        self._stage, self._count = self._plan.get(name) or Stage(name, 0.0, count, unit), 0
        if name in self._offsets:
            self.done = self._offsets[name]
        self._show(new_stage=True)

    def advance(self, items: int = 1) -> None:
        """``items`` more of the current stage are done (what encoders call after each batch)."""
        self._count += items
        stage = self._stage
        if stage.count and stage.name in self._offsets:
            self.done = self._offsets[stage.name] + stage.work * min(self._count, stage.count) / stage.count
        self._show(new_stage=False)

    def describe(self) -> str:
        """The current stage, how many of its items are done, and the ETA once known."""
        stage, eta = self._stage, self.eta
        counted = f"{self._count}/{stage.count}" if self._count else str(stage.count)
        unit = stage.unit if stage.count != 1 else stage.unit.removesuffix("s")  # "1 text", "2 texts"
        text = f"{stage.name} {counted} {unit}" if stage.count else stage.name
        return text + (f", ETA {duration(eta)}" if eta is not None and eta >= 1 else "")

    def _show(self, new_stage: bool) -> None:
        if not self.enabled:
            return
        if self._bar is not None:
            self._draw(force=new_stage)
            return
        share, now = self.share, self.clock()
        last_share, last_time = self._last_line
        if new_stage or (share - last_share >= LOG_EVERY_SHARE and now - last_time >= LOG_EVERY_SECONDS):
            log.info("[%3d%%] %s", self.percent, self.describe())
            self._last_line = (share, now)

    def _draw(self, force: bool) -> None:
        """Move the bar to the current percentage; tqdm redraws at most ten times a second unless ``force``d."""
        self._bar.set_description_str(self.describe(), refresh=False)
        self._bar.update(self.percent - self._bar.n)
        if force:
            self._bar.refresh()
