"""Customer pages (book.py) and tiering pages (tiering.py)."""
from .book import *  # noqa: F401,F403
from .tiering import *  # noqa: F401,F403
