#!/usr/bin/env bash
# Makes TorchSharp 0.107 (libtorch 2.10) loadable and prints, as the LAST line of stdout, the dotnet host to use.
#
# libtorch's native library needs GLIBCXX_3.4.32 (for std::ios_base_library_init); Debian 12 ships 3.4.30.
# Where the system libstdc++ already has it (Ubuntu 24.04+, Debian 13+) this prints `dotnet` and does nothing else.
# Otherwise it builds <repo>/.torch-runtime/ (git-ignored) once:
#   pkgs/      Debian 13 (trixie) libc6, libstdc++6, libgcc-s1, fetched with `apt-get download` through a TEMPORARY
#              sources list and apt state (the system's apt configuration and lists are left untouched), `dpkg -x`-ed
#   lib/       symlinks to their shared libraries, including ld-linux-x86-64.so.2
#   dotnet/    a copy of the `dotnet` muxer, patched with patchelf to use lib/ld-linux-x86-64.so.2 as interpreter and
#              lib/ as DT_RPATH, beside symlinks to the SDK's shared/ host/ sdk/ packs/ (and sdk-manifests/)
# and prints .torch-runtime/dotnet/dotnet. The whole process then runs on the newer glibc/libstdc++; nothing is put
# in LD_LIBRARY_PATH, so child processes are unaffected.
#
# Idempotent: a complete runtime (marked by .torch-runtime/.complete) is reused. Progress goes to stderr.
# Usage: host=$(bash training/setup-torch-runtime.sh)        FORCE=1 rebuilds.
set -euo pipefail

log() { echo "[setup-torch-runtime] $*" >&2; }
die() { echo "[setup-torch-runtime] error: $*" >&2; exit 1; }

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
rt="$repo/.torch-runtime"
need=GLIBCXX_3.4.32

system_libstdcxx() {
  local p
  p=$(/sbin/ldconfig -p 2>/dev/null | awk '/libstdc\+\+\.so\.6 .*x86-64/ {print $NF; exit}')
  if [[ -z $p ]]; then
    for c in /usr/lib/x86_64-linux-gnu/libstdc++.so.6 /lib/x86_64-linux-gnu/libstdc++.so.6 /usr/lib64/libstdc++.so.6; do
      [[ -e $c ]] && { p=$c; break; }
    done
  fi
  echo "$p"
}

sys=$(system_libstdcxx)
if [[ $(uname -s) != Linux || $(uname -m) != x86_64 ]]; then
  log "not Linux x86-64: nothing to do"
  echo dotnet
  exit 0
fi
if [[ -n $sys ]] && grep -qa "$need" "$(readlink -f "$sys")"; then
  log "system libstdc++ ($sys) has $need: using plain dotnet"
  echo dotnet
  exit 0
fi

host="$rt/dotnet/dotnet"
if [[ -z ${FORCE:-} && -f $rt/.complete && -x $host ]] && "$host" --list-runtimes >/dev/null 2>&1; then
  log "reusing $rt"
  echo "$host"
  exit 0
fi

command -v patchelf >/dev/null || die "patchelf is required (apt-get install patchelf)"
command -v apt-get >/dev/null || die "apt-get is required to fetch Debian 13 libc6/libstdc++6/libgcc-s1"
command -v dpkg >/dev/null || die "dpkg is required"
dotnet_path=$(command -v dotnet) || die "dotnet is not on PATH"
muxer=$(readlink -f "$dotnet_path")
sdkroot=$(dirname "$muxer")
if [[ ! -d $sdkroot/shared ]]; then
  # fall back to `dotnet --info`'s base path: <root>/sdk/<version>/
  base=$(dotnet --info 2>/dev/null | awk -F': *' '/Base Path/ {print $2; exit}')
  [[ -n $base ]] && sdkroot=$(cd "$base/../.." && pwd)
  muxer="$sdkroot/dotnet"
fi
[[ -d $sdkroot/shared && -x $muxer ]] || die "cannot find the .NET root (looked at $sdkroot)"
log "system libstdc++ lacks $need; building $rt from Debian 13 packages (.NET root: $sdkroot)"

rm -rf "$rt"
mkdir -p "$rt/pkgs" "$rt/lib" "$rt/dotnet" "$rt/debs"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/lists/partial" "$tmp/cache/archives/partial"
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
[[ -f $keyring ]] || die "missing $keyring (debian-archive-keyring)"
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
echo "deb [arch=amd64 signed-by=$keyring] $mirror trixie main" >"$tmp/sources.list"
aptopts=(-o "Dir::Etc::SourceList=$tmp/sources.list" -o Dir::Etc::SourceParts=/dev/null
  -o "Dir::State::Lists=$tmp/lists" -o "Dir::Cache=$tmp/cache" -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache=
  -o APT::Sandbox::User=root -o Debug::NoLocking=1 -o APT::Architecture=amd64 -o APT::Architectures=amd64 -q)
log "apt-get update (temporary trixie sources list)"
apt-get "${aptopts[@]}" update >&2 || die "apt-get update for trixie failed"
log "apt-get download libc6 libstdc++6 libgcc-s1"
(cd "$rt/debs" && apt-get "${aptopts[@]}" download libc6 libstdc++6 libgcc-s1 >&2) || die "apt-get download failed"
for deb in "$rt"/debs/*.deb; do
  log "unpacking $(basename "$deb")"
  dpkg -x "$deb" "$rt/pkgs"
done

# Flat library folder: every shared object of the three packages (merged /usr or not).
for d in "$rt/pkgs/usr/lib/x86_64-linux-gnu" "$rt/pkgs/lib/x86_64-linux-gnu" "$rt/pkgs/usr/lib64" "$rt/pkgs/lib64"; do
  [[ -d $d ]] || continue
  for f in "$d"/*.so*; do
    [[ -e $f ]] || continue
    ln -sfn "$(readlink -f "$f")" "$rt/lib/$(basename "$f")"
  done
done
[[ -e $rt/lib/ld-linux-x86-64.so.2 ]] || die "ld-linux-x86-64.so.2 not found in the unpacked libc6"
[[ -e $rt/lib/libstdc++.so.6 ]] || die "libstdc++.so.6 not found in the unpacked libstdc++6"
grep -qa "$need" "$(readlink -f "$rt/lib/libstdc++.so.6")" || die "the downloaded libstdc++ lacks $need"

cp "$muxer" "$rt/dotnet/dotnet"
for d in shared host sdk packs sdk-manifests templates; do
  [[ -e $sdkroot/$d ]] && ln -sfn "$sdkroot/$d" "$rt/dotnet/$d"
done
patchelf --set-interpreter "$rt/lib/ld-linux-x86-64.so.2" --force-rpath --set-rpath "$rt/lib" "$rt/dotnet/dotnet"
"$host" --list-runtimes >&2 || die "the patched dotnet host does not start"
touch "$rt/.complete"
log "ready: $host"
echo "$host"
