"""Benchmarks of quality.md: each reports a ratio against a floor measured in the same run."""
