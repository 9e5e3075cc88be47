"""Helpers behind the LCNEC first-line immunotherapy analysis book.

One module per concern: ``params`` (analysis parameters), ``schema`` and
``io`` (the data contract), ``tables``, ``survival``, ``cox``, ``plots``,
``results`` (``results.json``), ``reconstruct`` (the synthetic cohort),
``pipeline`` and ``cli``.
"""

__version__ = "0.1.0"
