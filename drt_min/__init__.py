"""A minimal but complete DRT trainer and randomized-smoothing certifier.

Importing this package pulls in neither sympy nor matplotlib: plots are drawn only by the
commands that write them.
"""

__all__: list[str] = []
