"""The Gradio chat UI: ``app`` (layout and callbacks), ``render`` (answers, sources and the
articles table as HTML), and the Articles tab's web/feeds panel (``feeds_tab``) and the Stories
tab (``stories_tab``). Starting it is ``ui.launch``; its scripts and styles are ``ui/assets``.
"""
