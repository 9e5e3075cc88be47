"""Helpers behind the LCNEC first-line immunotherapy analysis book, in layers that import one way down.

``build`` -> ``chapter`` -> ``audit`` | ``reconstruct`` | ``methods`` -> ``tables`` | ``plots`` -> ``stats`` -> ``contract``
(declared for import-linter in ``pyproject.toml``); ``cli`` sits on top.
"""
