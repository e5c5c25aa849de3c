"""The embedded search backend: a Whoosh index in the archive home.

`backend` holds `WhooshBackend` and its views; `indexing` writes the index
(generations, the writer lock, bulk segments); `schema`, `analyzer`,
`segments`, `positions`, `engine` and `facets` are how the index is laid
out on disk and read fast. Nothing outside this package imports Whoosh.
"""

from .backend import WhooshBackend, WhooshView, to_query

__all__ = ["WhooshBackend", "WhooshView", "to_query"]
