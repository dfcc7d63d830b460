"""Read, validate and write one back-office file. All-or-nothing unless skip_invalid."""
import csv
import io
from dataclasses import dataclass, field

import pandas as pd
from django.db import transaction
from django.utils.translation import gettext as _

from crm.bulk import upsert_frame

from . import references
from .columns import check_column
from .datasets import DATASETS

MAX_VALUE_SHOWN = 60


@dataclass
class ImportResult:
    dataset: str
    rows: int = 0
    errors: list = field(default_factory=list)  # dicts: line, field, value, message
    inserted: int = 0
    updated: int = 0
    rejected_rows: list = field(default_factory=list)  # (line, raw row dict, messages)
    written: bool = False

    @property
    def ok(self):
        return not self.errors

    @property
    def unchanged(self):
        return self.rows - len(self.rejected_rows) - self.inserted - self.updated if self.written else 0

    def counts(self):
        return {
            "rows": self.rows,
            "inserted": self.inserted,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": len(self.rejected_rows),
            "errors": len(self.errors),
        }


def _error(line, field_name, value, message):
    value = "" if value is None else str(value)
    if len(value) > MAX_VALUE_SHOWN:
        value = value[:MAX_VALUE_SHOWN] + "…"
    return {"line": int(line), "field": field_name, "value": value, "message": str(message)}


def _decode(raw):
    """Decode UTF-8 (BOM allowed); undecodable lines are reported, not guessed at."""
    errors = []
    try:
        return raw.decode("utf-8-sig"), errors
    except UnicodeDecodeError:
        pass
    lines = raw.split(b"\n")
    good = []
    for number, line in enumerate(lines, start=1):
        try:
            good.append(line.decode("utf-8-sig" if number == 1 else "utf-8"))
        except UnicodeDecodeError as exc:
            errors.append(
                _error(number, "", repr(line[max(exc.start - 5, 0) : exc.end + 5]), _("is not valid UTF-8 text"))
            )
            good.append("\x00BAD")  # keeps line numbers; the row is rejected below
    return "\n".join(good), errors


def read_rows(raw):
    """-> (header, rows as lists, line number of each row, errors)."""
    text, errors = _decode(raw)
    bad_lines = {e["line"] for e in errors}
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        return [], [], [], [_error(1, "", "", _("the file is empty"))]
    except csv.Error as exc:
        return [], [], [], [_error(1, "", "", _("cannot be read as CSV: %(e)s") % {"e": exc})]
    rows, line_numbers = [], []
    start = reader.line_num + 1
    try:
        for row in reader:
            line = start
            start = reader.line_num + 1
            if not row or (len(row) == 1 and row[0] == ""):
                continue
            if line in bad_lines:
                continue
            if len(row) != len(header):
                errors.append(
                    _error(line, "", "", _("has %(got)d fields, the header has %(want)d")
                           % {"got": len(row), "want": len(header)})
                )
                continue
            rows.append(row)
            line_numbers.append(line)
    except csv.Error as exc:
        errors.append(_error(reader.line_num, "", "", _("cannot be read as CSV: %(e)s") % {"e": exc}))
    return header, rows, line_numbers, errors


def validate(dataset_name, raw):
    """-> (ImportResult with errors, parsed frame indexed by line number, raw frame)."""
    dataset = DATASETS[dataset_name]
    result = ImportResult(dataset=dataset_name)
    header, rows, lines, errors = read_rows(raw)
    result.errors.extend(errors)
    result.rows = len(rows) + len({e["line"] for e in errors if e["line"] > 1})
    missing = [c for c in dataset.column_names if c not in header]
    duplicated = sorted({h for h in header if header.count(h) > 1})
    for name in missing:
        result.errors.append(_error(1, name, "", _("column is missing")))
    for name in duplicated:
        result.errors.append(_error(1, name, "", _("column appears more than once")))
    if missing or duplicated or not header:
        return result, None, None

    raw_frame = pd.DataFrame(rows, columns=header, index=pd.Index(lines, name="line"), dtype=object)
    raw_frame = raw_frame[dataset.column_names]
    for col in dataset.columns:  # numbers parse with surrounding blanks; everything else is stripped
        if col.kind not in ("decimal", "int"):
            raw_frame[col.name] = raw_frame[col.name].str.strip()
    refs = references.load(dataset)
    parsed = pd.DataFrame(index=raw_frame.index)
    for col in dataset.columns:
        values, messages = check_column(col, raw_frame[col.name], refs)
        parsed[col.name] = values
        for line, message in messages.dropna().items():
            result.errors.append(_error(line, col.name, raw_frame.at[line, col.name], message))

    keys = list(dataset.keys)
    dup = raw_frame.duplicated(keys, keep=False)
    if dup.any():
        first_line = raw_frame[dup].reset_index().groupby(keys)["line"].transform("min")
        for line, first in zip(raw_frame.index[dup], first_line):
            if line != first:
                value = ", ".join(raw_frame.loc[line, keys])
                result.errors.append(
                    _error(line, "+".join(keys), value, _("duplicate key, first seen on line %(n)d") % {"n": first})
                )
    if dataset.checks:
        for line, field_name, message in dataset.checks(parsed, refs):
            result.errors.append(_error(line, field_name, raw_frame.at[line, field_name], message))
    if dataset.name == "customers":
        result.errors.extend(_error(*e) for e in references.capacity_errors(parsed, raw_frame))
    result.errors.sort(key=lambda e: (e["line"], e["field"]))
    return result, parsed, raw_frame


def import_file(dataset_name, raw, *, skip_invalid=False):
    """Validate, then write everything or (with skip_invalid) every valid row, in one transaction."""
    result, parsed, raw_frame = validate(dataset_name, raw)
    header_broken = parsed is None
    if result.errors and (not skip_invalid or header_broken):
        result.rejected_rows = [(e["line"], {}, [e["message"]]) for e in result.errors]
        return result
    dataset = DATASETS[dataset_name]
    bad_lines = sorted({e["line"] for e in result.errors})
    if bad_lines:
        messages = {}
        for e in result.errors:
            messages.setdefault(e["line"], []).append(f"{e['field']}: {e['message']}" if e["field"] else e["message"])
        result.rejected_rows = [
            (line, raw_frame.loc[line].to_dict() if line in raw_frame.index else {}, messages[line])
            for line in bad_lines
        ]
        parsed = parsed.drop(index=[line for line in bad_lines if line in parsed.index])
    with transaction.atomic():
        frame = dataset.build(parsed)
        if dataset.name == "staff":
            frame = references.attach_users(frame)
        result.inserted, result.updated = upsert_frame(
            dataset.model, frame, dataset.db_keys, dataset.compare_columns(frame), dataset.touch
        )
    result.written = True
    return result


def write_rejects(result, path_or_buffer, columns):
    """A CSV of the rejected rows with their errors, for --rejects."""
    frame = pd.DataFrame(
        [{"line": line, **row, "errors": "; ".join(msgs)} for line, row, msgs in result.rejected_rows],
        columns=["line", *columns, "errors"],
    )
    frame.to_csv(path_or_buffer, index=False)
