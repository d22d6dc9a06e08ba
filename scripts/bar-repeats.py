#!/usr/bin/python3
"""How many bars of a tune repeat an earlier bar exactly, from the tokenizer's own encoding.

Encodes each MIDI file with `musicgen tokens encode --config TOKENIZER` (one line per bar), keeps the first BARS bars,
drops velocity, time-signature and tempo tokens, and counts the bars whose remaining tokens equal an earlier bar's.
Also reports the distance in tokens from each repeated bar back to its nearest earlier copy. Prints per-file counts
with --list, then the mean repeated bars per file and the median distance.
--config takes a tokenizer JSON or a model package (its folder or musicgen.json: its "tokenizer" entry is used).
Usage: /usr/bin/python3 scripts/bar-repeats.py --config TOKENIZER_OR_PACKAGE [--bars 16] [--list] FILE_OR_FOLDER..."""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

DROPPED = ('Velocity_', 'TimeSig_', 'Tempo_')


def bars_of(cli, config, path, count):
    out = subprocess.run(cli + ['tokens', 'encode', path, '--config', config],
                         check=True, capture_output=True, text=True).stdout
    lines = [line.split() for line in out.splitlines() if line.startswith('Bar')]
    return lines[:count]


def repeats(bars):
    """(repeated bar count, distances in tokens to the nearest earlier copy)."""
    seen, starts, pos, distances = {}, [], 0, []
    for tokens in bars:
        starts.append(pos)
        key = ' '.join(t for t in tokens if not t.startswith(DROPPED))
        if key in seen:
            distances.append(pos - starts[seen[key]])
        seen[key] = len(starts) - 1
        pos += len(tokens)
    return len(distances), distances


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--config', required=True)
    ap.add_argument('--bars', type=int, default=16)
    ap.add_argument('--list', action='store_true')
    ap.add_argument('paths', nargs='+')
    args = ap.parse_args()
    config = os.path.join(args.config, 'musicgen.json') if os.path.isdir(args.config) else args.config
    with open(config) as f:
        doc = json.load(f)
    if 'kind' not in doc:
        if 'tokenizer' not in doc:
            sys.exit(f'{config}: neither a tokenizer JSON (no "kind") nor a package manifest (no "tokenizer")')
        with tempfile.NamedTemporaryFile('w', suffix='.json', delete=False) as tmp:
            json.dump(doc['tokenizer'], tmp)
        config = tmp.name
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    dll = os.path.join(root, 'src/MusicGen.Cli/bin/Release/net10.0/musicgen.dll')
    cli = ['dotnet', dll] if os.path.exists(dll) else [os.path.join(root, 'scripts/musicgen')]
    files = []
    for p in args.paths:
        files += sorted(os.path.join(p, f) for f in os.listdir(p) if f.endswith('.mid')) if os.path.isdir(p) else [p]
    counts, distances = [], []
    for f in files:
        n, d = repeats(bars_of(cli, config, f, args.bars))
        counts.append(n)
        distances += d
        if args.list:
            print(f'{f}\t{n}')
    if config != args.config:
        os.unlink(config)
    if not files:
        sys.exit('no MIDI files')
    med = statistics.median(distances) if distances else 0
    print(f'{len(files)} files: {statistics.mean(counts):.2f} of {args.bars} bars repeat an earlier bar '
          f'(files with any: {sum(1 for c in counts if c)}); median distance {med:g} tokens')


if __name__ == '__main__':
    main()
