"""What the archive knows about its facets, declared once for every layer."""

from __future__ import annotations

#: Facets counted on every search, in display order ("month" is shown too
#: once a single year is selected).
FACETS = ("country", "organisation", "person", "year", "type", "language")
