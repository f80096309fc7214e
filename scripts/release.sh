#!/usr/bin/env bash
# Release builds of the athanor command: linux, darwin and windows on amd64
# and arm64, with the version and commit stamped in (package
# internal/version), and a SHA256SUMS file for them.
#
#   scripts/release.sh v0.1.0        # a release: the work tree must be clean
#   scripts/release.sh --snapshot    # a build of the current tree, for CI
#
# Binaries go to dist/ (or --out DIR), named athanor-VERSION-OS-ARCH[.exe].
# Builds use -trimpath (no local paths in the binaries, reproducible) and
# CGO_ENABLED=0 (static, cross-compiled from any host).
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { echo "usage: scripts/release.sh VERSION|--snapshot [--out DIR]" >&2; exit 2; }
version="" snapshot=false out=dist
while [ $# -gt 0 ]; do
  case "$1" in
    --snapshot) snapshot=true ;;
    --out) [ $# -ge 2 ] || usage; out=$2; shift ;;
    -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "unknown flag $1" >&2; usage ;;
    *) version=$1 ;;
  esac
  shift
done

commit=$(git rev-parse HEAD 2>/dev/null || echo unknown)
if $snapshot; then
  [ -z "$version" ] || { echo "give a VERSION or --snapshot, not both" >&2; usage; }
  # Build metadata (+...) marks it as no module version: athanor new from
  # a snapshot refuses to write a go.mod requiring it.
  version="v0.0.0-snapshot+${commit:0:12}"
else
  [ -n "$version" ] || usage
  if ! [[ $version =~ ^v(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?$ ]]; then
    echo "VERSION $version is not a module version like v0.1.0 or v0.2.0-rc.1" >&2; exit 2
  fi
  if [ -n "$(git status --porcelain 2>/dev/null)" ]; then
    echo "the work tree has uncommitted changes: commit or stash them, or build with --snapshot" >&2; exit 1
  fi
fi

pkg=github.com/athanor-iac/athanor/internal/version
ldflags="-s -w -X $pkg.stamped=$version -X $pkg.stampedCommit=$commit"
rm -rf "$out"; mkdir -p "$out"
for target in linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64; do
  goos=${target%/*} goarch=${target#*/}
  name="athanor-$version-$goos-$goarch"
  [ "$goos" = windows ] && name="$name.exe"
  echo "building $name"
  CGO_ENABLED=0 GOOS=$goos GOARCH=$goarch go build -trimpath -ldflags "$ldflags" -o "$out/$name" ./cmd/athanor
done

cd "$out"
if command -v sha256sum >/dev/null; then sha256sum athanor-* >SHA256SUMS; else shasum -a 256 athanor-* >SHA256SUMS; fi
echo "wrote $(ls athanor-* | wc -l | tr -d ' ') binaries and SHA256SUMS to $out"
