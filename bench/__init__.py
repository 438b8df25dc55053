"""Benchmarks that drive the real workflow engine in-process against a fresh database."""
