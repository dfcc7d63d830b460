"""Customers app models: the branch and its customers (branch.py), and their tiers (tiering.py)."""
from .branch import *  # noqa: F401,F403
from .branch import ADVISOR_ROLES, MONEY  # noqa: F401
from .tiering import *  # noqa: F401,F403
