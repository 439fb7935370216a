"""Where passages live: Chroma, embedded under the data dir or a Chroma server.

``collection`` (``ChromaStore``: chunks and vectors file by file, dense search, what was
ingested), ``clients`` (opening embedded and server clients with one-line errors) and
``deletions`` (articles deleted by hand, recorded in the index so they stay deleted).
"""
