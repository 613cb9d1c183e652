"""The live progress line of a load run, from the records the agent prints every 5 s.

The master (or the only Locust process) prints a JSON record (see
:func:`.names.progress_record`) into ``locust.log``; the runner follows that log and turns
each record into one human line. ``--quiet`` turns the lines off; the verdict still prints.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from ..durations import format_duration
from .names import parse_progress


class LogFollower:
    """The complete lines appended to a file since the last call (the file may not exist yet)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0
        self.partial = b""

    def lines(self) -> Iterator[str]:
        try:
            with self.path.open("rb") as handle:
                handle.seek(self.offset)
                chunk = handle.read()
        except OSError:
            return
        self.offset += len(chunk)
        data = self.partial + chunk
        *complete, self.partial = data.split(b"\n")
        for line in complete:
            yield line.decode("utf-8", errors="replace")


class ProgressPrinter:
    """Formats progress records; rates are over the time since the previous record."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.previous: Mapping[str, Any] | None = None

    def line(self, record: Mapping[str, Any]) -> str:
        elapsed = float(record.get("elapsed_s", 0.0))
        duration = float(record.get("duration_s", 0.0))
        sent, completed = int(record.get("sent", 0)), int(record.get("completed", 0))
        before = self.previous or {"elapsed_s": 0.0, "sent": 0, "completed": 0}
        span = max(elapsed - float(before.get("elapsed_s", 0.0)), 1e-9)
        sent_rate = (sent - int(before.get("sent", 0))) / span
        done_rate = (completed - int(before.get("completed", 0))) / span
        self.previous = record
        p95 = record.get("p95_ms")
        return (
            f"  {self.label}: {format_duration(elapsed)} elapsed, "
            f"{format_duration(max(duration - elapsed, 0.0))} left | "
            f"sent {sent} ({sent_rate:.1f}/s), answered {done_rate:.1f}/s | "
            f"transport errors {int(record.get('transport_errors', 0))}, "
            f"contract violations {int(record.get('violations', 0))} | "
            f"p95 {f'{p95:g} ms' if p95 is not None else '-'} (corrected)"
        )

    def feed(self, line: str) -> str | None:
        """The progress line for a log line, or None when it is not a progress record."""
        record = parse_progress(line)
        return None if record is None else self.line(record)
