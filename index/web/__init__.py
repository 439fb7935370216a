"""Live news: fetch article pages and feeds over HTTP(S) and turn them into stored articles.

- ``net/``: the network. ``net.fetch`` is the only module that resolves names or decides what
  to connect to (schemes, private addresses, size caps, redirects, robots.txt, per-host
  politeness, one deadline per request); ``net.deadline`` is the transport whose sockets keep
  that deadline (used by ``fetch`` alone); ``net.addresses`` vets URLs and addresses;
  ``net.robots`` reads and keeps robots.txt verdicts; ``net.hosts`` keeps each host's turn and
  the hosts that stalled; ``net.inflate`` decompresses in bounded pieces; ``net.reasons`` words
  the failures.
- ``parse/``: bytes into domain types, no I/O. ``parse.feeds`` reads RSS, Atom, JSON Feed and
  news sitemaps; ``parse.extract`` turns an article page into a ``Page``.
- ``dedupe``: tells a syndicated copy of a stored article (canonical URL aside).
- ``library``: each fetched article as a JSON record file in the data dir, which
  ``index.ingest`` stores like any file; the files are the truth about what was fetched.
- ``registry``: the followed feeds and their refresh state (SQLite).
- ``refresh``: one collection pass over URLs or due feeds.

Scheduling (``watch``, the server's background refresh) lives in the callers (``rag.live``).
"""
