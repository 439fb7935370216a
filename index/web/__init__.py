"""Live news: fetch article pages and feeds over HTTP(S) and turn them into stored articles.

``fetch`` is the only place that talks to the network (schemes, private addresses, size caps,
redirects, robots.txt and per-host politeness); ``extract`` turns a page into an ``Article``;
``feeds`` parses RSS, Atom, JSON Feed and news sitemaps; ``dedupe`` tells a syndicated copy of a
stored article; ``library`` keeps each fetched article as a JSON record file in the data dir
(what ``index.ingest`` then stores like any file); ``registry`` keeps the feeds and their state;
``refresh`` runs one pass over the due feeds. Scheduling (``watch``, the server's background
refresh) lives in the callers.
"""
