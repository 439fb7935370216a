"""The Gradio chat UI: ``build_app`` (layout and callbacks) and ``launch`` (serving it)."""
