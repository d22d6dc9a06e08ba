#!/usr/bin/env python3
"""Hand-run conformance check of `musicgen eval piece` against a plain-Python restatement of MusPy's metric
definitions (docs/evaluation.md), written on dense lists the way MusPy computes them (piano roll per time step,
beat/measure arrays), so it shares no code and no shortcut with the C# implementation.

    python3 muspy_metrics_check.py 'dotnet run --project src/MusicGen.Cli --no-build --' FILE.mid ...

Reads each file with `musicgen midi dump` (notes, ticks per quarter, time signatures) and compares every metric
except pitch_in_scale_rate (it needs the key signature, which the dump does not carry). Exit 1 on a mismatch."""
import json
import math
import shlex
import subprocess
import sys

RES = 24  # MusPy's DEFAULT_RESOLUTION, the default of `eval piece`
MAJOR = [1, 0, 1, 0, 1, 1, 0, 1, 0, 1, 0, 1]
MINOR = [1, 0, 1, 1, 0, 1, 0, 1, 1, 0, 1, 0]


def music(dump):
    factor = RES / dump["ticksPerQuarter"]
    tracks = []
    for t in dump["tracks"]:
        notes = [(round(n["start"] * factor), round(n["end"] * factor), n["pitch"]) for n in t["notes"]]
        drum = any(n["channel"] == 9 for n in t["notes"])
        tracks.append((drum, notes))
    ts = dump["timeSignatures"][0] if dump["timeSignatures"] else {"numerator": 4, "denominator": 4}
    measure = max(1, round(RES * 4 * ts["numerator"] / ts["denominator"]))
    return tracks, measure, ts


def metrics(dump):
    tracks, M, ts = music(dump)
    pitched = [n for drum, notes in tracks if not drum for n in notes]
    drums = [n for drum, notes in tracks if drum for n in notes]
    length = max([n[1] for _, notes in tracks for n in notes] or [0])
    out = {}
    out["pitch_range"] = (max(p for _, _, p in pitched) - min(p for _, _, p in pitched)) if pitched else 0
    out["n_pitches_used"] = len({p for _, _, p in pitched})
    out["n_pitch_classes_used"] = len({p % 12 for _, _, p in pitched})
    roll = [[0] * 128 for _ in range(length)]
    for s, e, p in pitched:
        for t in range(s, e):
            roll[t][p] = 1
    sums = [sum(r) for r in roll]
    nonempty = sum(1 for x in sums if x > 0)
    out["polyphony"] = sum(sums) / nonempty if nonempty else None
    out["polyphony_rate"] = sum(1 for x in sums if x > 2) / length if length else None
    best = None
    if pitched:
        best = 0.0
        for mask in (MAJOR, MINOR):
            for root in range(12):
                scale = [mask[(pc - root) % 12] for pc in range(12)]
                best = max(best, sum(1 for _, _, p in pitched if scale[p % 12]) / len(pitched))
    out["scale_consistency"] = best

    def entropy(counts):
        total = sum(counts)
        if total == 0:
            return None
        return -sum(c / total * math.log2(c / total) for c in counts if c)

    out["pitch_entropy"] = entropy([sum(1 for _, _, p in pitched if p == q) for q in range(128)])
    out["pitch_class_entropy"] = entropy([sum(1 for _, _, p in pitched if p % 12 == q) for q in range(12)])
    allnotes = pitched + drums

    def empty_rate(unit):
        if length < 1:
            return None
        n = length // unit + 1
        filled = [False] * n
        for s, e, _ in allnotes:
            for u in range(s // unit, e // unit + 1):
                filled[u] = True
        return 1 - sum(filled) / n

    out["empty_beat_rate"] = empty_rate(RES)
    out["empty_measure_rate"] = empty_rate(M)
    n_measures = length // M + 1
    if n_measures < 2:
        out["groove_consistency"] = None
    else:
        g = [[0] * M for _ in range(n_measures)]
        for s, _, _ in allnotes:
            g[s // M][s % M] = 1
        ham = sum(1 for i in range(n_measures - 1) for j in range(M) if g[i][j] != g[i + 1][j])
        out["groove_consistency"] = 1 - ham / (M * (n_measures - 1))

    def drum_rate(meter):
        if not drums:
            return None
        pat = [0] * RES
        pat[0] = 1
        steps = [4, 2] if meter == "duple" else [3]
        for k in steps:
            if RES % k == 0:
                for i in range(0, RES, RES // k):
                    pat[i] = 1
        return sum(1 for s, _, _ in drums if pat[s % RES]) / len(drums)

    duple, triple = drum_rate("duple"), drum_rate("triple")
    out["drum_in_pattern_rate"] = triple if ts["numerator"] % 3 == 0 else duple
    out["drum_pattern_consistency"] = None if duple is None else max(duple, triple)
    return out


def main():
    cli = shlex.split(sys.argv[1])
    bad = 0
    for path in sys.argv[2:]:
        dump = json.loads(subprocess.run(cli + ["midi", "dump", path], check=True, capture_output=True, text=True).stdout)
        ours = json.loads(subprocess.run(cli + ["eval", "piece", "--json", path], check=True, capture_output=True, text=True).stdout)["metrics"]
        ref = metrics(dump)
        for name, value in ref.items():
            got = ours[name]
            same = (value is None and got is None) or (value is not None and got is not None and abs(value - got) <= 1e-9 * max(1, abs(value)))
            if not same:
                bad += 1
                print(f"MISMATCH {path} {name}: reference {value} musicgen {got}")
    print(f"{len(sys.argv) - 2} files, {bad} mismatches")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
