"""Ingest side of newsrag: load news files, clean, chunk, embed and store them in Chroma."""
