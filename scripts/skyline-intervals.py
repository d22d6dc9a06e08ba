#!/usr/bin/python3
"""Top-line interval shares of folders of MIDI files, read with Debian's python3-mido (not our reader).

The top line of each non-drum track is its skyline, as in the classifier's interval features
(MusicGen.Core.Metrics.PieceFeatures.IntervalHistogram): at each distinct onset the highest pitch starting there;
an interval is the step between consecutive skyline pitches, leaps beyond an octave counted as an octave. For each
folder prints the number of files and the mean over its files of each interval group's share.
Usage: /usr/bin/python3 scripts/skyline-intervals.py FOLDER...  (a folder's *.mid files, else those of its
generated*/ subfolders, as `eval report --sets` writes them)."""
import glob
import os
import sys
import mido

GROUPS = [('0', [0]), ('|1|', [1]), ('|2|', [2]), ('|3-4|', [3, 4]), ('|5|', [5]), ('|7|', [7]),
          ('|6,8-11|', [6, 8, 9, 10, 11]), ('|12+|', [12])]


def shares(path):
    counts, total = {}, 0
    for track in mido.MidiFile(path).tracks:
        tick, top = 0, {}
        for msg in track:
            tick += msg.time
            if msg.type == 'note_on' and msg.velocity > 0 and msg.channel != 9:
                top[tick] = max(top.get(tick, -1), msg.note)
        line = [top[t] for t in sorted(top)]
        for a, b in zip(line, line[1:]):
            step = min(abs(b - a), 12)
            counts[step] = counts.get(step, 0) + 1
            total += 1
    return {k: v / total for k, v in counts.items()} if total else {}


def main(folders):
    print('%-32s %5s ' % ('folder', 'files') + ' '.join('%8s' % name for name, _ in GROUPS))
    for folder in folders:
        files = sorted(glob.glob(os.path.join(folder, '*.mid'))) or sorted(glob.glob(os.path.join(folder, 'generated*', '*.mid')))
        if not files:
            sys.exit(f'{folder}: no MIDI files')
        mean = {}
        for f in files:
            for k, v in shares(f).items():
                mean[k] = mean.get(k, 0) + v / len(files)
        print('%-32s %5d ' % (os.path.basename(folder.rstrip('/'))[-32:], len(files)) +
              ' '.join('%8.3f' % sum(mean.get(k, 0) for k in steps) for _, steps in GROUPS))


if __name__ == '__main__':
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
