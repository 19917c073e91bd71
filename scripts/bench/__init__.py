"""`make bench`: measured figures, merged into docs/benchmarks.json and rendered as docs/benchmarks.md.

Each section is a module ``scripts/bench/<section>.py`` exposing ``run() -> dict[str, dict]``: figure name ->
``{"value": .., "unit": .., "budget": .. | None, "reference": .. | None, "note": ..}``. ``python -m scripts.bench``
runs every section (or the ones named on the command line) and merges their figures into the JSON, so sections
written by different people (gas, issuance, verify timings) live side by side.
"""
