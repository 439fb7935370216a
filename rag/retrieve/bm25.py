"""BM25 over the stored chunks: one scoring pass, then the best overall and the best recent.

Built on ``bm25s`` — the engine inside llama-index's ``BM25Retriever`` — with the same
tokenizer, English stop words and Snowball stemmer over the same text (headline and date
included), so it ranks exactly as that retriever does. It skips what made the retriever slow
on the answer path: rebuilding a llama-index node from metadata for every hit (a 500-deep
list cost ~26 ms at 29k chunks) and a second, deeper search to find recent chunks. Here a
query is scored once against every chunk (a NumPy vector) and each ranking is a partial sort
of it: the overall top k, and the top k among the chunks a mask lets through (the date
window, see ``rag.retrieve.chunk_table``).

It does not persist itself: the owner rebuilds it from the store when the index changes.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from llama_index.core.schema import MetadataMode, TextNode

LANGUAGE = "english"


class BM25Index:
    """An in-memory BM25 index of text nodes."""

    def __init__(self, nodes: Sequence[TextNode]) -> None:
        import bm25s
        import Stemmer

        self.nodes = list(nodes)
        self._stemmer = Stemmer.Stemmer(LANGUAGE)
        texts = [node.get_content(metadata_mode=MetadataMode.EMBED) for node in self.nodes]
        tokens = bm25s.tokenize(texts, stopwords=LANGUAGE, stemmer=self._stemmer, show_progress=False)
        self._bm25 = bm25s.BM25()
        self._bm25.index(tokens, show_progress=False)

    def __len__(self) -> int:
        return len(self.nodes)

    def scores(self, query: str) -> np.ndarray:
        """The BM25 score of every chunk for ``query`` (zeros when no query word is indexed)."""
        import bm25s

        words = bm25s.tokenize(query, stopwords=LANGUAGE, stemmer=self._stemmer, return_ids=False, show_progress=False)
        known = [w for w in (words[0] if words else []) if w in self._bm25.vocab_dict]
        if not known or not self.nodes:
            return np.zeros(len(self.nodes), dtype=np.float32)
        return np.asarray(self._bm25.get_scores(known), dtype=np.float32)

    def words(self, text: str) -> set[str]:
        """The distinct indexed words of ``text``: tokenized, stop words out, stemmed, as BM25 reads it."""
        import bm25s

        words = bm25s.tokenize(text, stopwords=LANGUAGE, stemmer=self._stemmer, return_ids=False, show_progress=False)
        return set(words[0]) if words else set()

    def idf(self, words: set[str]) -> dict[str, float]:
        """log(1 + N / df) of each indexed word (the chunks holding it); unknown words are left out."""
        size = len(self.nodes)
        out = {}
        for word in words:
            if word in self._bm25.vocab_dict:
                held = int(np.count_nonzero(self._bm25.get_scores([word])))
                if held:
                    out[word] = float(np.log(1 + size / held))
        return out

    def top(self, scores: np.ndarray, k: int, mask: np.ndarray | None = None) -> list[TextNode]:
        """The ``k`` best-scoring chunks with a positive score, best first; ``mask``: only those."""
        if mask is not None:
            scores = np.where(mask, scores, 0.0)
        k = min(k, int(np.count_nonzero(scores > 0)))
        if k <= 0:
            return []
        best = np.argpartition(-scores, k - 1)[:k]
        # Ties broken by position, as a stable sort of the whole list would.
        order = best[np.lexsort((best, -scores[best]))]
        return [self.nodes[i] for i in order]
