"""How close the MuNG transcriber comes to the human gold, and how much of the validation writers it transcribes.

    python -m experiments.transcribe_agreement --out results/transcribe-agreement [--gold FILE] [--muscima-pp DIR]

Every staff of the human gold (``dev.tsv``: writers 13, 17, 20) is transcribed from its page's MuNG objects by
``symbol_sources.transcribe`` and scored against the gold by the staff benchmark's symbol error rate (token
Levenshtein distance / gold length, per staff, averaged). Per kind of token (the error table's kinds, beamed notes
apart): the gold's tokens of that kind, how many the transcriber misses or replaces, how many it adds, and
(missed + added) / gold. Every disagreement is listed, staff by staff. The transcriber was tuned on these three
writers; it reads their symbol graphs, never their images. Then every page of the validation writers
(4, 11, 21, 28, 36, 44) is transcribed: the share of staves that give a line, skips by reason, and how many
unknown symbols (``?``: grace notes, chords, measure repeats) the lines hold.

Writes results.json (figures, disagreements, git commit, sha256 of the gold file and of the MUSCIMA++ pages
read) and results.md. Whole transcribed lines derive from MUSCIMA++ and are not written; the disagreements quote
a few tokens each.
"""
from __future__ import annotations

import argparse
import hashlib
from collections import Counter
from pathlib import Path
from typing import Any, Sequence

from gan.config import VALIDATION_WRITERS
from gan.files import atomic_write_bytes, atomic_write_json
from symbol_sources.locate import DEV_GOLD
from symbol_sources.real_staves import GoldStaff

CONTEXT = 3  # gold tokens shown before a disagreement


def token_kind(token: str) -> str:
    """The error table's kind, with beamed notes a kind of their own (their ``=`` marks are the beams)."""
    from mashcima.vocabulary import is_beamed_note

    from experiments.staff_errors import token_kind as table_kind

    return "beamed note" if is_beamed_note(token) else table_kind(token)


def disagreements(gold: Sequence[str], ours: Sequence[str]) -> list[dict[str, str]]:
    """The edit script from the gold to our line, one entry per differing stretch, with gold context."""
    from rapidfuzz.distance import Levenshtein

    return [{"op": op.tag, "context": " ".join(gold[max(0, op.src_start - CONTEXT):op.src_start]),
             "gold": " ".join(gold[op.src_start:op.src_end]), "ours": " ".join(ours[op.dest_start:op.dest_end])}
            for op in Levenshtein.opcodes(list(gold), list(ours)) if op.tag != "equal"]


def kind_errors(pairs: Sequence[tuple[Sequence[str], Sequence[str]]]) -> dict[str, dict[str, Any]]:
    """Per token kind over all staves: gold tokens, missed or replaced (charged to the gold token's kind),
    added (charged to our token's kind), and the rate (missed + added) / gold."""
    from rapidfuzz.distance import Levenshtein

    gold_n, missed, added = Counter(), Counter(), Counter()
    for gold, ours in pairs:
        gold_n.update(token_kind(t) for t in gold)
        for op in Levenshtein.editops(list(gold), list(ours)):
            if op.tag == "insert":
                added[token_kind(ours[op.dest_pos])] += 1
            else:
                missed[token_kind(gold[op.src_pos])] += 1
    kinds = sorted(set(gold_n) | set(added), key=lambda k: (-gold_n[k], k))
    return {k: {"gold": gold_n[k], "missed_or_replaced": missed[k], "added": added[k],
                "rate": round((missed[k] + added[k]) / gold_n[k], 4) if gold_n[k] else None} for k in kinds}


def score_against_gold(muscima, gold: list[GoldStaff]) -> dict[str, Any]:
    from experiments.staff_scoring import symbol_error_rate
    from symbol_sources.transcribe import transcribe_page

    pages: dict[tuple[int, int], list] = {}
    staves, pairs = [], []
    for g in gold:
        if (g.writer, g.page) not in pages:
            pages[g.writer, g.page] = transcribe_page(muscima, g.writer, g.page)
        t = pages[g.writer, g.page][g.staff]
        ours = t.annotation.split() if t.transcribed else []  # a skipped staff scores as an empty line
        row: dict[str, Any] = {"staff": g.name, "ser": round(symbol_error_rate(ours, g.tokens), 4),
                               "gold_tokens": len(g.tokens), "skip_reason": t.skip_reason}
        row["disagreements"] = disagreements(g.tokens, ours)
        staves.append(row)
        pairs.append((g.tokens, ours))
    sers = [s["ser"] for s in staves]
    return {"staves_scored": len(staves), "skipped": sum(s["skip_reason"] is not None for s in staves),
            "mean_ser": round(sum(sers) / len(sers), 4), "exact_staves": sum(s == 0 for s in sers),
            "worst_ser": max(sers), "per_kind": kind_errors(pairs), "staves": staves}


def validation_share(muscima, writers: Sequence[int]) -> dict[str, Any]:
    from mashcima.vocabulary import is_note, is_rest

    from symbol_sources.transcribe import skip_counts, transcribe_writers, unknown_symbols

    staves = transcribe_writers(muscima, writers)
    done = [s for s in staves if s.transcribed]

    def unknown_share(annotation: str) -> float:
        items = [t for t in annotation.split() if is_note(t) or is_rest(t) or t == "?"]
        return annotation.split().count("?") / max(1, len(items))

    return {"writers": list(writers), "staves": len(staves), "transcribed": len(done),
            "share_transcribed": round(len(done) / len(staves), 4), "skipped_by_reason": skip_counts(staves),
            "tokens": sum(len(s.annotation.split()) for s in done), "unknown_symbols": unknown_symbols(staves),
            "staves_mostly_unknown": sum(unknown_share(s.annotation) > 0.5 for s in done),
            "skipped": [f"w{s.writer:02d}_p{s.page:02d}_s{s.staff:02d}: {s.skip_reason}" for s in staves
                        if not s.transcribed]}


def pages_sha256(root: Path, pages: Sequence[tuple[int, int]]) -> str:
    """sha256 over the MUSCIMA++ XML files of ``pages``, in order: the data the figures were measured on."""
    from symbol_sources.muscima_pp import CROP_OBJECT_DIR

    h = hashlib.sha256()
    for writer, page in pages:
        h.update((root / CROP_OBJECT_DIR / f"CVC-MUSCIMA_W-{writer:02d}_N-{page:02d}_D-ideal.xml").read_bytes())
    return h.hexdigest()


def _markdown(results: dict[str, Any]) -> str:
    a, v = results["agreement"], results["validation"]
    lines = [
        "# MuNG transcriber against the human gold",
        "",
        f"`python -m experiments.transcribe_agreement --out {results['out']}` (commit "
        f"`{results['provenance']['git_commit']}`, gold sha256 `{results['provenance']['gold_sha256'][:16]}`, "
        f"MUSCIMA++ pages sha256 `{results['provenance']['muscima_pp_pages_sha256'][:16]}`).",
        "",
        f"**Mean per-staff SER against `{results['gold_file']}`: {a['mean_ser']:.4f}** over {a['staves_scored']} "
        f"staves of writers {', '.join(map(str, results['gold_writers']))}; {a['exact_staves']} match exactly, "
        f"the worst is {a['worst_ser']:.3f}, {a['skipped']} were skipped. The transcriber was tuned on these "
        "writers (their symbol graphs, not their images).",
        "",
        "| token kind | gold tokens | missed or replaced | added | (missed + added) / gold |",
        "|---|---:|---:|---:|---:|",
    ]
    for kind, k in a["per_kind"].items():
        rate = f"{k['rate']:.3f}" if k["rate"] is not None else "–"
        lines.append(f"| {kind} | {k['gold']} | {k['missed_or_replaced']} | {k['added']} | {rate} |")
    lines += [
        "",
        f"**Validation writers {', '.join(map(str, v['writers']))}: {v['transcribed']} of {v['staves']} staves "
        f"transcribed ({v['share_transcribed']:.1%}).** Skipped: "
        + ("; ".join(f"{r} ({n})" for r, n in v["skipped_by_reason"].items()) or "none") + ". "
        f"The lines hold {v['unknown_symbols']} unknown symbols `?` among {v['tokens']} tokens; "
        f"{v['staves_mostly_unknown']} staves have more `?` than notes and rests (chords, mostly).",
        "",
        "## Disagreements, staff by staff (gold → ours)",
        "",
    ]
    for s in a["staves"]:
        if not s["disagreements"]:
            continue
        lines.append(f"- **{s['staff']}** SER {s['ser']:.3f}" + (f" (skipped: {s['skip_reason']})"
                                                                 if s["skip_reason"] else ""))
        for d in s["disagreements"]:
            lines.append(f"  - after `{d['context'] or '(start)'}`: `{d['gold'] or '∅'}` → `{d['ours'] or '∅'}`")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, required=True, help="folder for results.json and results.md")
    ap.add_argument("--gold", type=Path, default=DEV_GOLD, help=f"human gold TSV [default: {DEV_GOLD}]")
    ap.add_argument("--muscima-pp", type=Path, default=None,
                    help="MUSCIMA++ v1.0 folder [default: where ganmash finds it]")
    args = ap.parse_args()
    from gan.provenance import file_sha256, provenance
    from symbol_sources import load_muscima_pp, locate_muscima_pp
    from symbol_sources.real_staves import read_gold
    from symbol_sources.transcribe import writer_pages

    root = locate_muscima_pp(args.muscima_pp)
    muscima = load_muscima_pp(root)
    gold = read_gold(args.gold)
    gold_pages = sorted({(g.writer, g.page) for g in gold})
    results = {
        "out": str(args.out), "gold_file": str(args.gold), "gold_writers": sorted({g.writer for g in gold}),
        "agreement": score_against_gold(muscima, gold),
        "validation": validation_share(muscima, VALIDATION_WRITERS),
    }
    read = gold_pages + writer_pages(muscima, VALIDATION_WRITERS)
    results["provenance"] = {**provenance(), "gold_sha256": file_sha256(args.gold),
                             "muscima_pp_pages": [f"W-{w:02d}_N-{p:02d}" for w, p in read],
                             "muscima_pp_pages_sha256": pages_sha256(root, read)}
    atomic_write_json(args.out / "results.json", results)
    atomic_write_bytes(args.out / "results.md", _markdown(results).encode())
    a, v = results["agreement"], results["validation"]
    print(f"wrote {args.out}: mean per-staff SER {a['mean_ser']:.4f} over {a['staves_scored']} gold staves; "
          f"validation writers {v['transcribed']}/{v['staves']} staves transcribed ({v['share_transcribed']:.1%})")


if __name__ == "__main__":
    main()
