"""Measure the five floors one after the other and print them.

    python -m bench.floors [--duration S] [--connections C] [--sqlite3-steps N] [--sqlmodel-steps N] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from bench._common import table
from bench.floors.measure import LABELS, describe, measure_floors


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.floors", description="Measure the five floors.")
    parser.add_argument("--duration", type=float, default=10, help="seconds of load per HTTP floor")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections per HTTP floor")
    parser.add_argument("--sqlite3-steps", type=int, default=50_000)
    parser.add_argument("--sqlmodel-steps", type=int, default=5_000)
    parser.add_argument("--json", type=Path, help="also write the floors here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="foerderweg-floors-") as folder:
        floors = measure_floors(Path(folder), duration_s=args.duration, connections=args.connections,
                                sqlite3_steps=args.sqlite3_steps, sqlmodel_steps=args.sqlmodel_steps)
    print(f"floors ({args.connections} connections, {args.duration:g} s per HTTP floor):")
    print(table([(LABELS[name], describe(floor)) for name, floor in floors.items()]))
    if args.json is not None:
        args.json.write_text(json.dumps({name: floor.to_dict() for name, floor in floors.items()}, indent=2) + "\n",
                             encoding="utf-8")


if __name__ == "__main__":
    main()
