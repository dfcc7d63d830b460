"""A back-office CSV read as a stream of row chunks: the file's text is never held whole."""
import codecs
import csv
import io

from django.utils.translation import gettext as _

BAD_LINE = "\x00BAD"  # stands for an undecodable line, so line numbers stay right; its row is skipped
CHUNK_ROWS = 20_000


def _is_utf8(raw):
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(raw)
    try:
        for start in range(0, len(raw), 1 << 20):
            decoder.decode(view[start:start + (1 << 20)])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _lines_marking_bad(raw, errors):
    """Line by line; an undecodable line is reported (UTF-8 is not guessed at) and replaced by BAD_LINE."""
    for number, line in enumerate(io.BytesIO(raw), start=1):
        body, end = (line[:-1], "\n") if line.endswith(b"\n") else (line, "")
        try:
            yield body.decode("utf-8-sig" if number == 1 else "utf-8") + end
        except UnicodeDecodeError as exc:
            errors.add(number, "", repr(body[max(exc.start - 5, 0): exc.end + 5]), _("is not valid UTF-8 text"))
            yield BAD_LINE + end


class CsvChunks:
    """header, then `chunks()`: (rows as lists, their line numbers) of at most chunk_rows rows each.

    Lines with a read problem (encoding, field count, CSV syntax) go to `errors`; `bad_rows` counts those after
    the header (each is a row of the file that will not be written)."""

    def __init__(self, raw, errors, chunk_rows=CHUNK_ROWS):
        self.errors = errors
        self.chunk_rows = chunk_rows
        self.bad_rows = 0
        if _is_utf8(raw):
            lines = io.TextIOWrapper(io.BytesIO(raw), encoding="utf-8-sig", newline="")
        else:
            lines = _lines_marking_bad(raw, errors)
        self.reader = csv.reader(lines)
        self.header = None
        try:
            self.header = [h.strip() for h in next(self.reader)]
        except StopIteration:
            errors.add(1, "", "", _("the file is empty"))
        except csv.Error as exc:
            errors.add(1, "", "", _("cannot be read as CSV: %(e)s") % {"e": exc})

    def _bad(self, line, message):
        self.errors.add(line, "", "", message)
        self.bad_rows += 1

    def chunks(self):
        reader, width = self.reader, len(self.header)
        rows, lines = [], []
        start = reader.line_num + 1
        try:
            for row in reader:
                line = start
                start = reader.line_num + 1
                if not row or (len(row) == 1 and row[0] == ""):
                    continue
                if row[0].startswith(BAD_LINE):
                    self.bad_rows += 1  # reported as it was decoded
                    continue
                if len(row) != width:
                    self._bad(line, _("has %(got)d fields, the header has %(want)d") % {"got": len(row), "want": width})
                    continue
                rows.append(row)
                lines.append(line)
                if len(rows) >= self.chunk_rows:
                    yield rows, lines
                    rows, lines = [], []
        except csv.Error as exc:
            self._bad(reader.line_num, _("cannot be read as CSV: %(e)s") % {"e": exc})
        if rows:
            yield rows, lines
