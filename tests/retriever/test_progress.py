"""One progress report per build: plain log lines when stderr is not a terminal, one bar when it is, nothing with -q.

A scripted build on a clock the test moves, so every line, share and ETA is known exactly.
"""

from __future__ import annotations

import io
import logging

import pytest

from retriever.progress import Progress, Stage, duration


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def scripted_build(progress: Progress, clock: Clock) -> None:
    """What store.build tells its Progress: stages outside the plan, the plan once chunked, then the plan's stages."""
    with progress:
        progress.stage("reading")
        progress.stage("chunking", 2, "documents")
        progress.advance()
        progress.advance()
        progress.plan([Stage("encoding chunks (m)", 40.0, 4), Stage("encoding sentences (m)", 50.0, 10),
                       Stage("writing", 10.0)])
        progress.stage("encoding chunks (m)")
        for _ in range(4):  # 10% of the build every 5 s
            clock.now += 5
            progress.advance()
        progress.stage("encoding sentences (m)")
        for _ in range(10):  # 5% every 3 s
            clock.now += 3
            progress.advance()
        progress.stage("writing")
        clock.now += 5


def lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "alliance_qa.index"]


def test_a_log_gets_a_line_per_stage_and_a_few_between_and_no_carriage_return(caplog):
    caplog.set_level(logging.INFO, logger="alliance_qa.index")
    clock, stream = Clock(), io.StringIO()
    scripted_build(Progress(stream=stream, clock=clock), clock)
    assert lines(caplog) == [
        "[  0%] reading",
        "[  0%] chunking 2 documents",
        "[  0%] encoding chunks (m) 4 texts",
        "[ 20%] encoding chunks (m) 2/4 texts, ETA 0:40",  # 10 s for 20%: 40 s for the other 80%
        "[ 40%] encoding chunks (m) 4/4 texts, ETA 0:30",
        "[ 40%] encoding sentences (m) 10 texts, ETA 0:30",
        # a line once both 10% and 10 s have passed since the last: not after 5% and 3 s, nor 10% and 6 s
        "[ 60%] encoding sentences (m) 4/10 texts, ETA 0:21",
        "[ 80%] encoding sentences (m) 8/10 texts, ETA 0:11",
        "[ 90%] writing, ETA 0:06",
        "[100%] done in 0:55",
    ]
    assert stream.getvalue() == ""  # the log's handlers decide where lines go; nothing is drawn
    assert not any("\r" in line for line in lines(caplog))


def test_a_terminal_gets_one_bar_that_ends_at_100_percent(caplog):
    caplog.set_level(logging.INFO, logger="alliance_qa.index")
    clock, terminal = Clock(), Terminal()
    scripted_build(Progress(stream=terminal, clock=clock), clock)
    drawn = terminal.getvalue()
    assert drawn.count("\n") == 1 and drawn.endswith("\n")  # one line, redrawn in place
    states = drawn.rstrip("\n").split("\r")
    assert "encoding chunks (m) 4 texts" in drawn and states[-1].startswith("100%|")
    assert states[-1].rstrip().endswith("| done in 0:55")
    assert lines(caplog) == []  # on a terminal the bar says it all


def test_one_item_is_not_plural():
    progress = Progress(enabled=False)
    progress.stage("chunking", 1, "documents")
    assert progress.describe() == "chunking 1 document"


def test_disabled_reports_nothing_even_on_a_terminal(caplog):
    caplog.set_level(logging.INFO, logger="alliance_qa.index")
    clock, terminal = Clock(), Terminal()
    scripted_build(Progress(enabled=False, stream=terminal, clock=clock), clock)
    assert terminal.getvalue() == "" and lines(caplog) == []


def test_a_build_that_fails_is_not_reported_done(caplog):
    caplog.set_level(logging.INFO, logger="alliance_qa.index")
    with pytest.raises(OSError), Progress(stream=io.StringIO()) as progress:
        progress.stage("writing")
        raise OSError("disk full")
    assert lines(caplog) == ["[  0%] writing"]


@pytest.mark.parametrize("seconds, text", [(0, "0:00"), (41.4, "0:41"), (59.6, "1:00"), (725, "12:05"),
                                           (3723, "1:02:03")])
def test_eta_reads_as_a_clock(seconds, text):
    assert duration(seconds) == text


def test_a_plan_naming_a_stage_twice_is_refused():
    with pytest.raises(ValueError, match="give every stage its own name"):
        Progress().plan([Stage("writing", 1.0), Stage("writing", 2.0)])
