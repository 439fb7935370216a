"""Generation: turn passages and a question into answer text, with whichever model is configured.

The prompt (numbered passages, the answer-first format, and the reply-format helpers that read
the model's text back: ``prompt``), the passage filter for sentences that address the model
(``injection``), the ``Generator`` protocol with the no-model extractive backend
(``generator``), the OpenAI-compatible and in-process llama.cpp backends (``llm_openai``,
``llm_local``), the bundled model's files (``model_files``), and the first-come line answers
wait in for the model (``gate``). It does not retrieve (``rag.retrieve``) and does not judge
the answer (``rag.verify``). A new backend is a class with ``name`` and ``stream(prompt,
max_tokens)`` here, chosen in ``rag.factory``.
"""
