"""The checks of deploy/helm/cascade that tests/deploy/chart_checks.py runs, one module per
concern; render.py holds what they share (the Context, rendering and parsing, the tools).
Standard library only.
"""
