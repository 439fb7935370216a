"""Fetched bytes into domain types, no I/O: ``feeds`` (RSS, Atom, JSON Feed, news sitemaps;
the format readers are in ``feedformats``) and ``extract`` (an article page into a ``Page``)."""
