"""The network side of live news: ``fetch`` (the only module that opens connections or
resolves names), ``addresses`` (URL and address vetting against server-side request forgery,
no I/O) and ``inflate`` (gzip/deflate decoded in bounded pieces)."""
