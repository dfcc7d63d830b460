"""The synthetic branch (spec README, quality.md): core.py draws it block by block, history.py adds six months of
alerts, contacts and survey attempts before the first night, write.py writes it block by block."""
from .core import BLOCK, Branch, Generator, month_ends, snapshot_dates
from .write import previous_night, write_branch

__all__ = ["BLOCK", "Branch", "Generator", "month_ends", "previous_night", "snapshot_dates", "write_branch"]
