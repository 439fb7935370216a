"""Verification: decide what an answer may claim, and when it must be a refusal.

Citations are checked sentence by sentence against the passages (``cite``); the checks behind
the ``AnswerCheck`` protocol (``checks``) each refuse one kind of non-answer: a first sentence
that restates the question or invents a number (``grounding``), a question about something the
passages never mention (``asked``). The short answer line is trimmed of the question's words
(``short``). It does not retrieve or generate; ``rag.answer`` runs these on the generated text.
A new check is a class with ``name`` and ``verdict(draft)`` in ``checks``, listed in
``rag.factory.make_checks``.
"""
