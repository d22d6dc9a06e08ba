#!/usr/bin/python3
"""Independent length check of MIDI files with Debian's python3-mido (not our reader).

For each file prints: path, bars, notes, seconds of the last note end. Bars are counted from the file's time
signatures (4/4 before the first) up to the end of the last note: the number of bars that start before it.
Usage: /usr/bin/python3 scripts/midi-bars.py FILE... [--expect-bars N]  (exit 1 when a file has no notes or,
with --expect-bars, another bar count)."""
import sys
import mido


def measure(path):
    mid = mido.MidiFile(path)
    tpq = mid.ticks_per_beat
    signatures, tempos, last_end, notes = [], [], 0, 0
    for track in mid.tracks:
        tick, sounding = 0, {}
        for msg in track:
            tick += msg.time
            if msg.type == 'time_signature':
                signatures.append((tick, msg.numerator, msg.denominator))
            elif msg.type == 'set_tempo':
                tempos.append((tick, msg.tempo))
            elif msg.type == 'note_on' and msg.velocity > 0:
                sounding.setdefault((msg.channel, msg.note), []).append(tick)
                notes += 1
            elif msg.type in ('note_off', 'note_on'):
                starts = sounding.get((msg.channel, msg.note))
                if starts:
                    starts.pop(0)
                    last_end = max(last_end, tick)
        for starts in sounding.values():
            if starts:
                last_end = max(last_end, tick)  # hanging notes end with their track
    signatures.sort()
    bars, start, num, den, i = 0, 0, 4, 4, 0
    while start < last_end:
        while i < len(signatures) and signatures[i][0] <= start:
            _, num, den = signatures[i]
            i += 1
        length = num * tpq * 4 // den
        # a signature change inside a bar starts a new bar there
        if i < len(signatures) and signatures[i][0] < start + length:
            length = signatures[i][0] - start
        bars += 1
        start += length
    seconds, at, tempo = 0.0, 0, 500000
    for t, value in sorted(tempos):
        if t >= last_end:
            break
        seconds += mido.tick2second(t - at, tpq, tempo)
        at, tempo = t, value
    seconds += mido.tick2second(last_end - at, tpq, tempo)
    return bars, notes, seconds


def main(argv):
    expect = None
    if '--expect-bars' in argv:
        k = argv.index('--expect-bars')
        expect = int(argv[k + 1])
        del argv[k:k + 2]
    bad = 0
    for path in argv:
        bars, notes, seconds = measure(path)
        ok = notes > 0 and (expect is None or bars == expect)
        bad += not ok
        mark = '' if ok else '\tMISMATCH'
        print(f"{path}\t{bars} bars\t{notes} notes\t{seconds:.2f} s{mark}")
    print(f"{len(argv) - bad} of {len(argv)} files as expected", file=sys.stderr)
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
