"""Split articles into passages the embedder can read whole.

Uses llama-index's ``SentenceSplitter`` (sentence-aware, paragraph-preferring) with MiniLM's
own tokenizer, and puts the headline and date in front of every passage's embedded text, so
a passage is found by what its article is about and is always attributed to its headline.
The splitter subtracts the headline's length from the budget, so headline + passage fits in
the embedder's 256 word pieces. Chunk ids are deterministic: ``<article_id>:<n>``.

It does not embed or store anything.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from llama_index.core import Document
from llama_index.core.node_parser import SentenceSplitter
from llama_index.core.schema import BaseNode

from index.embed import MINILM_MAX_TOKENS
from index.errors import ConfigError
from index.types import Article

# Metadata that travels with each chunk but is not embedded nor shown to the LLM as text.
_HIDDEN_KEYS = [
    "article_id",
    "source",
    "url",
    "author",
    "file_path",
    "file_hash",
    "content_hash",
    "chunk_index",
    "published_day",
    "also_at",
]
_EPOCH = date(1970, 1, 1).toordinal()
UNDATED = -(10**6)  # ``published_day`` of an article without a date


def published_day(day: date) -> int:
    """Days since 1970-01-01: a number, so Chroma can filter a date range (it compares only numbers)."""
    return day.toordinal() - _EPOCH


def article_document(article: Article, file_hash: str) -> Document:
    """A llama-index Document for one article, embedding ``headline\\ndate`` before the text."""
    metadata: dict[str, Any] = {
        "title": article.title,
        "published_at": article.published_at.isoformat() if article.published_at else "",
        "article_id": article.article_id,
        "source": article.source,
        "url": article.url or "",
        "author": article.author or "",
        "file_path": article.file_path,
        "file_hash": file_hash,
        "content_hash": article.content_hash,
    }
    if article.also_at:  # Chroma keeps scalars only: one URL per line
        metadata["also_at"] = "\n".join(article.also_at)
    if article.published_at:
        metadata["published_day"] = published_day(article.published_at)
    else:
        del metadata["published_at"]
        metadata["published_day"] = UNDATED  # a number too: Chroma cannot filter on a missing key
    return Document(
        id_=article.article_id,
        text=article.text,
        metadata=metadata,
        excluded_embed_metadata_keys=list(_HIDDEN_KEYS),
        excluded_llm_metadata_keys=list(_HIDDEN_KEYS),
        metadata_template="{value}",
        metadata_separator="\n",
        text_template="{metadata_str}\n\n{content}",
    )


def make_splitter(tokenize: Callable[[str], Sequence[int]], chunk_tokens: int, overlap_tokens: int) -> SentenceSplitter:
    """The sentence-aware splitter sized in embedder tokens (headline included)."""
    if not 32 <= chunk_tokens <= MINILM_MAX_TOKENS:
        raise ConfigError(
            f"chunk size {chunk_tokens} is outside 32..{MINILM_MAX_TOKENS} word pieces: "
            "set NEWSRAG_CHUNK_TOKENS in that range (the embedder truncates longer passages)"
        )
    if not 0 <= overlap_tokens < chunk_tokens // 2:
        raise ConfigError("chunk overlap must be between 0 and half the chunk size: fix NEWSRAG_CHUNK_OVERLAP")
    return SentenceSplitter(
        chunk_size=chunk_tokens,
        chunk_overlap=overlap_tokens,
        tokenizer=lambda text: list(tokenize(text)),
        paragraph_separator="\n\n",
        include_prev_next_rel=False,
        id_func=lambda i, doc: f"{doc.id_}:{i}",
    )


def chunk_articles(
    articles: Sequence[Article], file_hash: str, splitter: SentenceSplitter, limit: int | None = None
) -> list[BaseNode]:
    """Split the articles of one file into nodes carrying their article's metadata.

    With ``limit``, stops after the article that takes the count past it: a file refused for
    its size costs no chunking of its remaining articles.
    """
    nodes: list[BaseNode] = []
    for article in articles:
        doc = article_document(article, file_hash)
        for i, node in enumerate(splitter.get_nodes_from_documents([doc])):
            node.metadata["chunk_index"] = i
            nodes.append(node)
        if limit is not None and len(nodes) > limit:
            break
    return nodes
