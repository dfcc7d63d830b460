"""Policy parameters as frozen dataclasses stored as JSON (tiering, alert and KPI policies share this)."""
from dataclasses import asdict, fields


class JsonParams:
    """Mixin for a frozen dataclass of policy values: read from a version's JSON (unknown keys ignored, missing
    keys take the defaults, lists become tuples) and written back (tuples become lists)."""

    @classmethod
    def from_json(cls, data):
        known = {f.name for f in fields(cls)}
        return cls(**{k: (tuple(v) if isinstance(v, list) else v) for k, v in (data or {}).items() if k in known})

    def to_json(self):
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(self).items()}
