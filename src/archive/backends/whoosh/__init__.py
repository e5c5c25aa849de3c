"""The embedded search backend: a Whoosh index in the archive home, and the only
package that imports Whoosh.

`backend` holds `WhooshBackend` and its views; `indexing` writes the index
(generations, the writer lock), with `building` (corpus files read into
bulk segments in workers), `writer`, `merging` and `checksums`; `schema`, `analyzer`,
`segments` and `positions` are how it lies on disk; `arrays` (each
segment's arrays and facet counts), `postings` (a term's postings in one
call) and `engine` (the vectorised evaluator) read it fast.
"""

from .backend import WhooshBackend, WhooshView, to_query

__all__ = ["WhooshBackend", "WhooshView", "to_query"]
