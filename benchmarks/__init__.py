"""What loading and verifying a fleet costs, against the naive way (issue 7).

Run with `python -m benchmarks` (N = 100, 1,000, 5,000, 20,000) or `python -m benchmarks --quick`
(N = 20). Results: benchmarks/RESULTS.md. Not part of the test suite; the smoke test
tests/test_benchmarks_smoke.py runs it at N = 20.
"""
