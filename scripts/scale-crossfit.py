#!/usr/bin/env python3
"""Cross-fitted logit scale: how much of a package's valid NLL comes from fitting its logit scale on that split.

A package whose logits were scaled by a factor chosen on the valid split (`musicgen-train scale-logits`, e.g.
onnx/jsb-transformer) reports an optimistic valid NLL. This splits the valid pieces in two halves (even and odd
positions), scores each half at several relative scales, picks on each half the scale that is best there and scores
the OTHER half with it: the frame-weighted mean of those two scores is a figure whose scale was never fitted on the
pieces it scores.

The scale is applied by multiplying the final norm's gain (`norm.weight`, in model.weights), which multiplies every
logit; each scaled copy gets its manifest's weights sha256 updated, and is scored by `musicgen eval nll`.

usage: scripts/scale-crossfit.py PACKAGE DATA.json [--split valid] [--scales 0.94,0.97,1,1.03,1.06] [--musicgen CMD]
"""
import argparse, hashlib, json, os, shlex, shutil, struct, subprocess, sys, tempfile


def varint(b, i):
    r = s = 0
    while True:
        x = b[i]; i += 1; r |= (x & 0x7F) << s; s += 7
        if x < 128:
            return r, i


def fields(b):
    i = 0
    while i < len(b):
        k, i = varint(b, i)
        f, w = k >> 3, k & 7
        if w == 0:
            v, i = varint(b, i)
        elif w == 2:
            n, i = varint(b, i); v = b[i:i + n]; i += n
        elif w == 5:
            v = b[i:i + 4]; i += 4
        elif w == 1:
            v = b[i:i + 8]; i += 8
        else:
            raise ValueError(f"unsupported protobuf wire type {w}")
        yield f, v


def external_location(model_path, name):
    """(offset, length) of initializer `name` stored as external data (ModelProto.graph.initializer)."""
    for f, graph in fields(open(model_path, "rb").read()):
        if f != 7:
            continue
        for f2, tensor in fields(graph):
            if f2 != 5:
                continue
            tname, ext = None, {}
            for f3, v3 in fields(tensor):
                if f3 == 8:
                    tname = v3.decode()
                elif f3 == 13:
                    kv = {ff: vv.decode() for ff, vv in fields(v3)}
                    ext[kv[1]] = kv[2]
            if tname == name:
                if ext.get("location") != "model.weights":
                    sys.exit(f"{model_path}: {name} is not stored in model.weights")
                return int(ext.get("offset", 0)), int(ext["length"])
    sys.exit(f"{model_path}: no initializer {name}")


def scaled_copy(package, factor, root):
    dst = os.path.join(root, f"x{factor}")
    shutil.copytree(package, dst)
    off, length = external_location(os.path.join(dst, "model.onnx"), "norm.weight")
    w = bytearray(open(os.path.join(dst, "model.weights"), "rb").read())
    n = length // 4
    vals = struct.unpack_from(f"<{n}f", w, off)
    struct.pack_into(f"<{n}f", w, off, *[v * factor for v in vals])
    open(os.path.join(dst, "model.weights"), "wb").write(w)
    manifest = json.load(open(os.path.join(dst, "musicgen.json")))
    manifest["weights"]["sha256"] = hashlib.sha256(w).hexdigest()
    json.dump(manifest, open(os.path.join(dst, "musicgen.json"), "w"), indent=2)
    return dst


def score(musicgen, package, data, split, out):
    cmd = shlex.split(musicgen) + ["eval", "nll", "--model", package, "--data", data, "--split", split, "--threads", "1", "--json", out]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    r = json.load(open(out))
    return r["nllPerFrame"] if r.get("frames") else r["nllPerToken"], r.get("frames") or r["tokens"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("package"); ap.add_argument("data")
    ap.add_argument("--split", default="valid")
    ap.add_argument("--scales", default="0.94,0.97,1,1.03,1.06")
    ap.add_argument("--musicgen", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "musicgen"))
    a = ap.parse_args()
    scales = [float(x) for x in a.scales.split(",")]
    pieces = json.load(open(a.data))[a.split]
    with tempfile.TemporaryDirectory() as root:
        halves = []
        for h, part in (("even", pieces[0::2]), ("odd", pieces[1::2])):
            path = os.path.join(root, f"{h}.json")
            json.dump({a.split: part}, open(path, "w"))
            halves.append((h, path))
        table = {}
        for s in scales:
            pkg = scaled_copy(a.package, s, root)
            for h, path in halves:
                table[(s, h)] = score(a.musicgen, pkg, path, a.split, os.path.join(root, f"r-{s}-{h}.json"))
            shutil.rmtree(pkg)
    print("relative scale | " + " | ".join(h for h, _ in halves) + " | all (frame-weighted)")
    for s in scales:
        (e, ne), (o, no) = table[(s, "even")], table[(s, "odd")]
        print(f"{s:g} | {e:.4f} | {o:.4f} | {(e * ne + o * no) / (ne + no):.4f}")
    best = {h: min(scales, key=lambda s: table[(s, h)][0]) for h, _ in halves}
    (e, ne), (o, no) = table[(best["odd"], "even")], table[(best["even"], "odd")]
    print(f"cross-fitted: even half scored at the odd half's best scale {best['odd']:g} = {e:.4f}, "
          f"odd half at the even half's best {best['even']:g} = {o:.4f}; together {(e * ne + o * no) / (ne + no):.4f}")


if __name__ == "__main__":
    main()
