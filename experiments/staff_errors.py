"""What a staff benchmark's recognisers get wrong, by kind of token: a table from its ``results.json``.

    python -m experiments.staff_errors results/staves-music-cpu/results.json [--out errors.md]

Per ratio, averaged over its seeds: how many gold tokens of each kind there are, how many of them the recogniser
misses or replaces (token-level Levenshtein alignment of gold and greedy prediction, the SER's own), and how many
tokens of that kind it outputs at all. A kind the recogniser never outputs shows as 0 in the last column.
"""
from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path
from typing import Any

KINDS = (("clef", ("clef.",)), ("key/accidental", ("#", "b", "N")), ("time signature", ("time.",)),
         ("barline", ("|", ":|", "|:", ":|:")), ("slur or tie", ("(", ")")), ("duration dot", ("*", "**")),
         ("staccato", (".",)), ("whole note", ("w",)), ("half note", ("h",)), ("quarter note", ("q",)),
         ("eighth, 16th, 32nd", ("e", "s", "t", "e=", "=e", "=e=", "s=", "=s", "=s=", "t=", "=t", "=t=")),
         ("rest", ("lr", "br", "wr", "hr", "qr", "er", "sr", "tr")))


def token_kind(token: str) -> str:
    from mashcima.vocabulary import to_generic

    generic = to_generic(token)
    for kind, names in KINDS:
        if generic in names or any(n.endswith(".") and generic.startswith(n) for n in names):
            return kind
    return "other (" + generic + ")"


def error_table(results: dict[str, Any]) -> dict[float, dict[str, dict[str, float]]]:
    """ratio -> kind -> {gold, missed_or_replaced, predicted}, each a mean over the ratio's seeds."""
    from rapidfuzz.distance import Levenshtein

    table: dict[float, dict[str, dict[str, float]]] = {}
    for ratio in sorted({r["ratio"] for r in results["runs"]}):
        runs = [r for r in results["runs"] if r["ratio"] == ratio]
        gold, wrong, predicted = Counter(), Counter(), Counter()
        for run in runs:
            for staff in run["staves"]:
                g, p = staff["gold"].split(), staff["predicted"].split()
                gold.update(token_kind(t) for t in g)
                predicted.update(token_kind(t) for t in p)
                wrong.update(token_kind(g[op.src_pos]) for op in Levenshtein.editops(g, p) if op.tag != "insert")
        n = len(runs)
        table[ratio] = {kind: {"gold": gold[kind] / n, "missed_or_replaced": wrong[kind] / n,
                               "predicted": predicted[kind] / n}
                        for kind in sorted(gold, key=lambda k: -gold[k])}
    return table


def markdown(table: dict[float, dict[str, dict[str, float]]]) -> str:
    ratios = list(table)
    head = "| token kind | gold tokens | " + " | ".join(f"ratio {r:.2f}: wrong / output" for r in ratios) + " |"
    lines = [head, "|---|---:|" + "---:|" * len(ratios)]
    for kind, row in table[ratios[0]].items():
        cells = [f"{table[r][kind]['missed_or_replaced'] / row['gold']:.0%} / {table[r][kind]['predicted']:.0f}"
                 for r in ratios]
        lines.append(f"| {kind} | {row['gold']:.0f} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", type=Path, help="a staff benchmark's results.json")
    parser.add_argument("--out", type=Path, default=None, help="Markdown file to write [default: print]")
    args = parser.parse_args()
    if not args.results.is_file():
        raise SystemExit(f"error: {args.results} does not exist")
    text = markdown(error_table(json.loads(args.results.read_text())))
    if args.out:
        from gan import atomic_write_bytes

        atomic_write_bytes(args.out, text.encode())
    print(text, end="")


if __name__ == "__main__":
    main()
