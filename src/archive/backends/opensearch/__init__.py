"""The scale-out search backend: an OpenSearch cluster at `OPENSEARCH_URL`, and
the only package that imports opensearch-py.

`connection` makes the client and turns the cluster's failures into one-line
errors naming its address; `mapping` declares the indices; `documents` turns a
`Document` into what is sent (the archive's own analysed terms, so that words
match as in the embedded engine); `writing` sends them in bulk, and rebuilds
behind aliases; `backend` is `OpenSearchBackend`.
"""

from .backend import OpenSearchBackend

__all__ = ["OpenSearchBackend"]
