"""Run the bench sections and merge their figures into docs/benchmarks.json, then render docs/benchmarks.md.

python -m scripts.bench            # every section (every module in scripts/bench exposing run())
python -m scripts.bench gas        # only the named sections
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import sys
import time
from pathlib import Path
from typing import Any

DOCS = Path(__file__).resolve().parents[2] / "docs"
JSON_FILE = DOCS / "benchmarks.json"
MD_FILE = DOCS / "benchmarks.md"


def sections() -> list[str]:
    here = Path(__file__).resolve().parent
    return sorted(m.name for m in pkgutil.iter_modules([str(here)]) if not m.name.startswith("_"))


def load() -> dict[str, Any]:
    if JSON_FILE.exists():
        data: dict[str, Any] = json.loads(JSON_FILE.read_text())
        data.setdefault("figures", {})
        return data
    return {"figures": {}}


def _fmt(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.2f}"
    return f"{int(value):,}"


def verdict(figure: dict[str, Any]) -> str:
    budget, value = figure.get("budget"), figure.get("value")
    if budget is None or value is None:
        return "stated"
    return "within" if value <= budget else "**over**"


def render(data: dict[str, Any]) -> str:
    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`python -m scripts.bench`) from docs/benchmarks.json; do not edit by hand.",
        "Gas is measured on eth-tester (py-evm) from receipts and is deterministic; the references are fixed figures",
        "measured on the same EVM (OpenAttestation DocumentStore v4, EAS). Timings are ratios against a baseline",
        "measured in the same run.",
        "",
        "| name | value | unit | budget | reference | verdict | note |",
        "|---|---:|---|---:|---:|---|---|",
    ]
    for name in sorted(data["figures"]):
        f = data["figures"][name]
        lines.append(
            f"| `{name}` | {_fmt(f.get('value'))} | {f.get('unit', '')} | {_fmt(f.get('budget'))} | "
            f"{_fmt(f.get('reference'))} | {verdict(f)} | {f.get('note', '')} |"
        )
    notes = data.get("notes", {})
    for section in sorted(notes):
        lines += ["", f"## {section}", "", notes[section]]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    wanted = argv or sections()
    unknown = sorted(set(wanted) - set(sections()))
    if unknown:
        print(f"unknown bench section(s): {', '.join(unknown)}; known: {', '.join(sections())}", file=sys.stderr)
        return 2
    data = load()
    for name in wanted:
        module = importlib.import_module(f"scripts.bench.{name}")
        started = time.perf_counter()
        figures = module.run()
        sources = data.setdefault("sources", {})
        for stale in [f for f, section in sources.items() if section == name and f not in figures]:
            data["figures"].pop(stale, None)  # a figure the section no longer measures
            del sources[stale]
        data["figures"].update(figures)
        sources.update(dict.fromkeys(figures, name))
        note = getattr(module, "NOTES", None)
        if note:
            data.setdefault("notes", {})[name] = note
        print(f"{name}: {len(figures)} figures in {time.perf_counter() - started:.1f} s")
    DOCS.mkdir(parents=True, exist_ok=True)
    JSON_FILE.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    MD_FILE.write_text(render(data))
    for name in sorted(data["figures"]):
        f = data["figures"][name]
        value, budget = _fmt(f.get("value")), _fmt(f.get("budget"))
        print(f"  {name:34} {value:>10} {f.get('unit', ''):15} budget {budget:>8}  {verdict(f)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
