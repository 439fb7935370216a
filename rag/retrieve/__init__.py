"""Retrieval: find the passages that answer a question.

Dense search in Chroma plus BM25 over an in-memory table of every chunk, fused by reciprocal
rank, with a date-window ranking when a question is asked as of a date (``hybrid``); the BM25
index (``bm25``) and the chunk table it reads (``chunk_table``); follow-up questions rewritten
to stand alone (``condense``); and, with a context budget, the best sentences of the passages
(``select``). It leaves prompting and answering to ``rag.generate`` and checking the answer to
``rag.verify``; it stores nothing (``index`` does).
"""

from rag.retrieve.hybrid import HybridRetriever, Retriever

__all__ = ["HybridRetriever", "Retriever"]
