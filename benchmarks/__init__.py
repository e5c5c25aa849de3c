"""Benchmarks of the archive (not part of the test suite). See docs/benchmarks.md."""
