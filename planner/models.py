"""Models of the planner app."""
