"""The network side of live news: ``fetch`` (the only module that resolves names or decides what
to connect to), ``deadline`` (the per-request deadline and the transport whose sockets keep it,
used by ``fetch`` alone), ``addresses`` (URL and address vetting against server-side request
forgery, no I/O), ``robots`` (robots.txt verdicts, kept per origin), ``hosts`` (each host's turn
and the hosts that stalled), ``inflate`` (gzip/deflate decoded in bounded pieces) and
``reasons`` (the one-line reasons failures give)."""
