#!/usr/bin/env python3
"""Texture statistics of REMI pieces, from the tokens `musicgen tokens encode` writes (one bar per line).

usage: scripts/remi-texture.py TOKENIZER_JSON FOLDER [--bars 16] [--cli "dotnet src/MusicGen.Cli/bin/Release/net10.0/musicgen.dll"]

Per piece, over its first --bars bars: notes per onset (all notes starting at one position), the share of top-line
steps that repeat a pitch (the highest note of each onset, in time order: the classifier's interval_0 counts the
same steps per track), the median note length in quarters, the mean top-line pitch, and the median gap in semitones
between an onset's top note and the next one down (onsets of two or more notes); then the mean and quartiles over
the pieces.
"""
import argparse, os, shlex, statistics as st, subprocess
from fractions import Fraction

ap = argparse.ArgumentParser()
ap.add_argument("tokenizer")
ap.add_argument("folder")
ap.add_argument("--bars", type=int, default=16)
ap.add_argument("--cli", default="dotnet src/MusicGen.Cli/bin/Release/net10.0/musicgen.dll")
a = ap.parse_args()


def piece(path):
    out = subprocess.run(shlex.split(a.cli) + ["tokens", "encode", path, "--config", a.tokenizer],
                         capture_output=True, text=True, check=True).stdout
    notes = []  # [bar, position, pitch, length]
    for bar, line in enumerate(out.split("\n")[1:a.bars + 1]):
        pos, cur = 0, None
        for t in line.split():
            kind, _, v = t.partition("_")
            if kind == "Position":
                pos = int(v)
            elif kind == "Pitch":
                cur = [bar, pos, int(v), Fraction(0)]
                notes.append(cur)
            elif kind == "Duration" and cur is not None:
                cur[3] += Fraction(v)
    onsets = {}
    for n in notes:
        onsets.setdefault((n[0], n[1]), []).append(n[2])
    top = [max(onsets[k]) for k in sorted(onsets)]
    steps = [b - x for x, b in zip(top, top[1:])]
    gaps = [sorted(v)[-1] - sorted(v)[-2] for v in onsets.values() if len(v) > 1]
    return {
        "notes per onset": st.mean(len(v) for v in onsets.values()) if onsets else float("nan"),
        "top-line repeats": sum(1 for s in steps if s == 0) / max(1, len(steps)),
        "median length (quarters)": float(st.median(n[3] for n in notes)) if notes else float("nan"),
        "mean top-line pitch": st.mean(top) if top else float("nan"),
        "median top-to-next gap": st.median(gaps) if gaps else 0.0,
    }


rows = [piece(os.path.join(a.folder, f)) for f in sorted(os.listdir(a.folder)) if f.lower().endswith((".mid", ".midi"))]
print(f"{len(rows)} pieces in {a.folder}")
for k in rows[0]:
    v = [r[k] for r in rows]
    q = st.quantiles(v, n=4)
    print(f"{k:26s} mean {st.mean(v):.3f}  quartiles {q[0]:.3f} {q[1]:.3f} {q[2]:.3f}")
