"""``newsrag serve``: the FastAPI app and its routes.

``server`` assembles the app (authentication, limits, the chat UI mounted at ``/``);
``context`` holds the state the routers share and the one JSON error shape; ``rest``
(``/api/*``), ``openai_api`` (``/v1``), ``feeds_api`` and ``stories_api`` are the routes,
their shapes in ``schemas``; ``jobs`` runs uploads in the background.
"""
