"""The errors of one file: the first N by line and field are kept, the rest only counted (memory stays flat)."""
import numpy as np

MAX_VALUE_SHOWN = 60
MAX_ERRORS_KEPT = 5000  # what the upload page lists; the command's --rejects keeps every one


def error(line, field_name, value, message):
    value = "" if value is None else str(value)
    if len(value) > MAX_VALUE_SHOWN:
        value = value[:MAX_VALUE_SHOWN] + "…"
    return {"line": int(line), "field": field_name, "value": value, "message": str(message)}


class ErrorList:
    """Keeps the first `cap` errors in (line, field) order (all of them when cap is None) and counts every one.

    Errors arrive roughly in line order (chunk after chunk) plus a few whole-file checks at the end; once full,
    an error after the last one kept is only counted, without building it."""

    def __init__(self, cap=MAX_ERRORS_KEPT, track_lines=True):
        self.cap = cap
        self.track_lines = track_lines  # which lines had errors: only needed to skip them (--skip-invalid)
        self.count = 0
        self._kept = []
        self._last = None  # (line, field) of the last error kept, once full
        self._bad_lines = []  # arrays of lines with an error (for --skip-invalid and the rejected count)
        self._single = []  # lines of errors added one by one, until they make an array
        self._pending = 0
        self._compact_at = 1_000_000

    def add(self, line, field_name, value, message):
        self.count += 1
        if self.track_lines:
            self._single.append(int(line))
        if len(self._single) >= 100_000:
            self._note_lines(np.array(self._single, dtype=np.int64))
            self._single = []
        if self._last is not None and (int(line), field_name) >= self._last:
            return
        self._kept.append(error(line, field_name, value, message))
        if self.cap is not None and len(self._kept) >= 2 * self.cap:
            self._trim()

    def add_series(self, messages, field_name, values):
        """Vectorised add: `messages` (by line, None where fine), `values` the raw column by line."""
        bad = messages.dropna()
        if bad.empty:
            return
        self.count += len(bad)
        self._note_lines(bad.index.to_numpy(dtype=np.int64))
        if self._last is not None:
            bad = bad[bad.index.to_numpy() <= self._last[0]]
        for line, message in bad.items():
            if self._last is None or (line, field_name) < self._last:
                self._kept.append(error(line, field_name, values.at[line], message))
        if self.cap is not None and len(self._kept) >= 2 * self.cap:
            self._trim()

    def _note_lines(self, lines):
        if not self.track_lines:
            return
        self._bad_lines.append(lines)
        self._pending += len(lines)
        if self._pending > self._compact_at:  # a line with several errors is held once
            self._bad_lines = [np.unique(np.concatenate(self._bad_lines))]
            self._pending = len(self._bad_lines[0])
            self._compact_at = 2 * self._pending + 1_000_000

    def _trim(self):
        self._kept.sort(key=lambda e: (e["line"], e["field"]))
        del self._kept[self.cap:]
        self._last = (self._kept[-1]["line"], self._kept[-1]["field"]) if self._kept else (-1, "")

    def kept(self):
        """The kept errors in (line, field) order."""
        self._kept.sort(key=lambda e: (e["line"], e["field"]))
        if self.cap is not None:
            del self._kept[self.cap:]
        return self._kept

    def bad_lines(self):
        """Every line with at least one error (sorted, unique)."""
        if self._single:
            self._note_lines(np.array(self._single, dtype=np.int64))
            self._single = []
        if not self._bad_lines:
            return np.array([], dtype=np.int64)
        lines = np.unique(np.concatenate(self._bad_lines))
        self._bad_lines, self._pending = [lines], len(lines)
        return lines

    def needs_value(self, line, field_name):
        """Whether an error at (line, field) would be kept (the caller may then look its value up)."""
        return self._last is None or (int(line), field_name) < self._last
