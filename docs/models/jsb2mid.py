# Writes each piece of a JSB-style JSON split as a format-0 MIDI file (480 ticks per quarter, one frame = one quarter,
# a pitch held over consecutive frames = one note, as ChoraleTokenizer decodes), 120 BPM (the tempo ChoraleTokenizer decodes with), 4/4.
import json, struct, sys, os
src, split, out = sys.argv[1], sys.argv[2], sys.argv[3]
pieces = json.load(open(src))[split]
def vlq(n):
    b = [n & 0x7F]; n >>= 7
    while n: b.append((n & 0x7F) | 0x80); n >>= 7
    return bytes(reversed(b))
for i, piece in enumerate(pieces):
    ev = []  # (tick, order, bytes)
    active = {}
    for t, frame in enumerate(piece + [[]]):
        s = set(p for p in frame if p >= 0)
        for p in list(active):
            if p not in s: ev.append((t * 480, 0, bytes([0x80, p, 0]))); del active[p]
        for p in sorted(s):
            if p not in active: active[p] = t; ev.append((t * 480, 1, bytes([0x90, p, 80])))
    ev.sort(key=lambda e: (e[0], e[1]))
    data = bytearray(vlq(0) + b'\xff\x51\x03' + (500000).to_bytes(3, 'big') + vlq(0) + b'\xff\x58\x04\x04\x02\x18\x08')
    last = 0
    for tick, _, b in ev: data += vlq(tick - last) + b; last = tick
    data += vlq(0) + b'\xff\x2f\x00'
    with open(os.path.join(out, f'{split}-{i:03d}.mid'), 'wb') as f:
        f.write(b'MThd' + struct.pack('>IHHH', 6, 0, 1, 480) + b'MTrk' + struct.pack('>I', len(data)) + data)
print(len(pieces))
