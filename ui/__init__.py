"""The front ends over ``NewsRAG``: the Gradio chat UI (``chat/``), the HTTP server
(``http/``), and what both use: ``launch`` (host checks, offline switches, assets, warm-up),
``guard`` (Host/Origin checks), ``redact`` (no server paths in messages), ``uploads`` (naming,
staging and caps of uploaded files); ``cli`` adds ``newsrag chat`` and ``newsrag serve``.
"""
