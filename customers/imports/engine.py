"""Read, validate and write one back-office file. All-or-nothing unless skip_invalid.

Validation streams the file in chunks of rows and keeps the first errors only (errors.ErrorList), so an invalid
file costs memory by the chunk, not by the file. The whole-file checks (duplicate keys, a username used twice,
advisor capacity) keep a few numbers per row, not the rows. A valid file's parsed rows are kept to be written in
one transaction."""
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from django.db import transaction
from django.utils.translation import gettext as _

from crm.bulk import upsert_frame
from crm.exports import neutralise

from . import changes, references, staging
from .columns import check_column
from .datasets import DATASETS
from .errors import MAX_ERRORS_KEPT, ErrorList
from .reader import CHUNK_ROWS, CsvChunks
from .uploader import SYSTEM, RowRights, file_refusal

HASH_KEYS = ("0123456789123456", "branch-crm-keys!")  # two 64-bit hashes: a false duplicate is out of reach


@dataclass
class ImportResult:
    dataset: str
    rows: int = 0
    errors: list = field(default_factory=list)  # the first errors (dicts: line, field, value, message)
    error_count: int = 0  # every error, kept or not
    inserted: int = 0
    updated: int = 0
    rejected: int = 0
    rejected_rows: list = field(default_factory=list)  # (line, raw row dict, messages), with keep_rejects
    written: bool = False
    refused: bool = False  # a row outside the uploader's rights: the whole file is refused
    bad_lines: object = field(default=None, repr=False)  # array of the lines with an error

    @property
    def ok(self):
        return not self.error_count

    @property
    def unchanged(self):
        return self.rows - self.rejected - self.inserted - self.updated if self.written else 0

    def counts(self):
        return {
            "rows": self.rows,
            "inserted": self.inserted,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "errors": self.error_count,
        }


class _Uniques:
    """Rows whose values in `columns` repeat an earlier row of the file, found from two 64-bit hashes and the
    line kept per row (20 bytes): a false repeat would need both hashes to collide."""

    def __init__(self, columns):
        self.columns = list(columns)
        self.lines, self.h1, self.h2 = [], [], []

    def add(self, raw, mask=None):
        frame = raw[self.columns] if mask is None else raw.loc[mask, self.columns]
        if frame.empty:
            return
        self.lines.append(frame.index.to_numpy().astype(np.int32))
        for parts, key in zip((self.h1, self.h2), HASH_KEYS):
            parts.append(pd.util.hash_pandas_object(frame, index=False, hash_key=key).to_numpy())

    @staticmethod
    def _joined(parts):
        whole = np.concatenate(parts) if parts else np.array([], dtype=np.uint64)
        parts.clear()  # one copy at a time: the peak stays near the kept hashes
        return whole

    def repeats(self):
        """(line, first line) of every row repeating an earlier one."""
        h1 = self._joined(self.h1)
        order = np.argsort(h1, kind="stable")  # the first hash narrows to a few candidates, the second decides
        sorted_h1 = h1[order]
        same = sorted_h1[1:] == sorted_h1[:-1]
        del sorted_h1
        candidates = np.unique(np.concatenate([order[1:][same], order[:-1][same]]))
        del order
        lines, h2 = self._joined(self.lines), self._joined(self.h2)
        if not len(candidates):
            return []
        frame = pd.DataFrame({"line": lines[candidates], "h1": h1[candidates], "h2": h2[candidates]})
        frame = frame[frame.duplicated(["h1", "h2"], keep=False)]
        first = frame.groupby(["h1", "h2"])["line"].transform("min")
        return [(int(line), int(f)) for line, f in zip(frame["line"], first) if line != f]


def _check_chunk(dataset, raw_frame, refs, errors, rights):
    """Column, row and rights checks of one chunk -> (parsed chunk, whether a row was refused)."""
    columns = dataset.columns_in(raw_frame.columns)
    raw_frame = raw_frame[[c.name for c in columns]]
    for col in columns:  # numbers parse with surrounding blanks; everything else is stripped
        if col.kind not in ("decimal", "int"):
            raw_frame[col.name] = raw_frame[col.name].str.strip()
    parsed = pd.DataFrame(index=raw_frame.index)
    for col in columns:
        values, messages = check_column(col, raw_frame[col.name], refs)
        parsed[col.name] = values
        errors.add_series(messages, col.name, raw_frame[col.name])
    if dataset.checks:
        for line, field_name, message in dataset.checks(parsed, refs):
            errors.add(line, field_name, raw_frame.at[line, field_name], message)
    refusals = rights.errors(parsed, raw_frame)
    for line, field_name, value, message in refusals:
        errors.add(line, field_name, value, message)
    return raw_frame, parsed, bool(refusals)


def _at_least_one(chunks):
    """The chunks, or one empty chunk for a file of a header only (its frame then has the columns' types)."""
    empty = True
    for chunk in chunks:
        empty = False
        yield chunk
    if empty:
        yield [], []


def _values_at(raw, header, lines, columns, chunk_rows):
    """The raw values of `columns` on `lines` (a second read, only for the few errors of whole-file checks)."""
    wanted, found = set(lines), {}
    positions = [header.index(c) for c in columns]
    for rows, row_lines in CsvChunks(raw, ErrorList(cap=0, track_lines=False), chunk_rows).chunks():
        for row, line in zip(rows, row_lines):
            if line in wanted:
                found[line] = [row[p].strip() for p in positions]
    return found


def validate(dataset_name, raw, *, uploader=SYSTEM, skip_invalid=False, max_errors=MAX_ERRORS_KEPT,
             chunk_rows=CHUNK_ROWS, keep_raw=False):
    """-> (ImportResult with errors, parsed frame of the rows to write or None, raw frame when keep_raw).

    The parsed rows are kept while they may be written: until the first error, or all of them with
    skip_invalid; never after a refused row."""
    dataset = DATASETS[dataset_name]
    result = ImportResult(dataset=dataset_name)
    errors = ErrorList(max_errors, track_lines=skip_invalid)
    refusal = file_refusal(uploader, dataset_name)
    if refusal:
        errors.add(1, "", "", refusal)
        return _finish(result, errors, refused=True), None, None
    reader = CsvChunks(raw, errors, chunk_rows)
    header = reader.header or []
    missing = [c.name for c in dataset.columns if c.name not in header and not c.optional]
    duplicated = sorted({h for h in header if header.count(h) > 1})
    for name in missing:
        errors.add(1, name, "", _("column is missing"))
    for name in duplicated:
        errors.add(1, name, "", _("column appears more than once"))
    if missing or duplicated or not header:
        result.rows = sum(len(rows) for rows, _lines in reader.chunks()) + reader.bad_rows if header else 0
        return _finish(result, errors), None, None

    refs = references.load(dataset)
    rights = RowRights(uploader, dataset_name)
    keys = _Uniques(dataset.keys)
    usernames = _Uniques(["username"]) if dataset_name == "staff" else None
    capacity = references.CapacityCheck() if dataset_name == "customers" else None
    parsed_parts, raw_parts, refused = [], [], False
    for rows, lines in _at_least_one(reader.chunks()):
        result.rows += len(rows)
        raw_frame = pd.DataFrame(rows, columns=header, index=pd.Index(lines, name="line"), dtype=object)
        del rows
        raw_frame, parsed, chunk_refused = _check_chunk(dataset, raw_frame, refs, errors, rights)
        refused = refused or chunk_refused
        keys.add(raw_frame)
        if usernames:
            usernames.add(raw_frame, raw_frame["username"] != "")
        if capacity:
            capacity.add(parsed, raw_frame)
        if not refused and (skip_invalid or not errors.count):
            parsed_parts.append(parsed)
        else:
            parsed_parts = []  # an invalid file is not written: its rows need not be kept
        if keep_raw:
            raw_parts.append(raw_frame)
    result.rows += reader.bad_rows

    # Whole-file checks: the value shown is read again, for the errors that are kept only.
    late = []
    for line, first in keys.repeats():
        late.append((line, "+".join(dataset.keys), _("duplicate key, first seen on line %(n)d") % {"n": first}))
    for line, _first in usernames.repeats() if usernames else ():
        late.append((line, "username", _("is used by another row of this file")))
    if capacity:
        late.extend(capacity.errors())
    shown = [(line, f) for line, f, _m in late if errors.needs_value(line, f)]
    values = {}
    if shown:
        columns = list(dict.fromkeys(c for _line, f, _m in late for c in f.split("+")))
        found = _values_at(raw, header, [line for line, _f in shown], columns, chunk_rows)
        values = {(line, f): ", ".join(found[line][columns.index(c)] for c in f.split("+"))
                  for line, f in shown if line in found}
    for line, field_name, message in late:
        errors.add(line, field_name, values.get((line, field_name), ""), message)

    parsed = None
    if not refused and (parsed_parts or not errors.count):
        parsed = pd.concat(parsed_parts) if parsed_parts else pd.DataFrame(
            columns=[c.name for c in dataset.columns_in(header)])
    raw_frame = pd.concat(raw_parts) if raw_parts else None
    return _finish(result, errors, refused=refused), parsed, raw_frame


def _finish(result, errors, refused=False):
    result.errors = errors.kept()
    result.error_count = errors.count
    result.refused = refused
    result.bad_lines = errors.bad_lines()
    return result


def import_file(dataset_name, raw, *, skip_invalid=False, uploader=SYSTEM, filename="", max_errors=MAX_ERRORS_KEPT,
                keep_rejects=False, chunk_rows=CHUNK_ROWS):
    """Validate, then write everything or (with skip_invalid) every valid row, in one transaction.

    A file with a row outside the uploader's rights is refused whole, skip_invalid or not. keep_rejects keeps
    every rejected row with its messages (for --rejects; memory then grows with the rejected rows)."""
    if keep_rejects:
        max_errors = None
    if staging.applies(dataset_name, keep_rejects=keep_rejects) and not file_refusal(uploader, dataset_name):
        try:
            with transaction.atomic():
                return staging.import_staged(dataset_name, raw, uploader=uploader, skip_invalid=skip_invalid,
                                             max_errors=max_errors, result=ImportResult(dataset=dataset_name))
        except staging.Unstageable:
            pass  # read line by line below, which reports what kept the file from staging
    result, parsed, raw_frame = validate(dataset_name, raw, uploader=uploader, skip_invalid=skip_invalid,
                                         max_errors=max_errors, chunk_rows=chunk_rows, keep_raw=keep_rejects)
    if result.error_count and (not skip_invalid or parsed is None or result.refused):
        result.rejected = result.error_count
        if keep_rejects:
            result.rejected_rows = [(e["line"], {}, [e["message"]]) for e in result.errors]
        return result
    dataset = DATASETS[dataset_name]
    bad_lines = result.bad_lines
    result.rejected = len(bad_lines)
    if len(bad_lines):
        if keep_rejects:
            messages = {}
            for e in result.errors:
                messages.setdefault(e["line"], []).append(
                    f"{e['field']}: {e['message']}" if e["field"] else e["message"])
            result.rejected_rows = [
                (line, raw_frame.loc[line].to_dict() if line in raw_frame.index else {}, messages[line])
                for line in bad_lines.tolist()
            ]
        parsed = parsed[~parsed.index.isin(bad_lines)]
    with transaction.atomic():
        frame = dataset.build(parsed)
        if dataset.name == "staff":
            frame = references.attach_users(frame)
        if dataset.name == "customers":
            frame = references.with_recorded_permission_dates(frame)
        written_changes = changes.before_write(dataset.name, frame)
        result.inserted, result.updated = upsert_frame(
            dataset.model, frame, dataset.db_keys, dataset.compare_columns(frame), dataset.touch
        )
        changes.audit_written(written_changes, actor=uploader.user, filename=filename)
    result.written = True
    return result


def write_rejects(result, path_or_buffer, columns):
    """A CSV of the rejected rows with their errors, for --rejects; cells a spreadsheet would run are neutralised."""
    frame = pd.DataFrame(
        [{"line": line, **row, "errors": "; ".join(msgs)} for line, row, msgs in result.rejected_rows],
        columns=["line", *columns, "errors"],
    )
    frame.map(neutralise).to_csv(path_or_buffer, index=False)
