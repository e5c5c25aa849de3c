"""Where indexes written before the Whoosh backend had its own package find
their field types: their tables of contents name them here."""

from .backends.whoosh.schema import AnalysedText, VarintPositions  # noqa: F401

__all__ = ["AnalysedText", "VarintPositions"]
