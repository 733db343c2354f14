"""Hypothesis strategies and exact oracles shared by the tests, one module per part of the paper."""
