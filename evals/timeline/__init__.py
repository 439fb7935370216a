"""Timeline eval: questions about change over time scored against gold dated points.

``gold`` reads the sets, ``corpus`` builds a small RealTimeQA corpus around their gold
articles, ``score`` scores one answer, ``run`` asks every question and writes results;
``python -m evals.timeline`` is the command line.
"""
