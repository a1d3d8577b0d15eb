#!/usr/bin/env bash
# Builds td-monitoring's OpenTelemetry Collector (otelcol-td) from
# builder-config.yaml with the official collector builder (ocb), using only Go
# and the Go module proxy.
#
# The builder and the binary live in a cache directory outside the source tree:
#   ${TD_MONITORING_CACHE:-$HOME/.cache/td-monitoring}/otelcol-<version>/
# A second run reuses both when the binary was built from a manifest with the
# same SHA-256, so CI and tests can call this script unconditionally.
#
# Usage:
#   otel-collector/build.sh               build if needed; print the binary path last
#   otel-collector/build.sh --print-path  print the binary path; exit 0 when it is
#                                         built and current, 3 when it is not
#
# Environment:
#   TD_MONITORING_CACHE  cache root (default $HOME/.cache/td-monitoring)
#   GO                   the go command (default: go on PATH, else /usr/local/go/bin/go)
#   GOFLAGS              passed through to go; defaults to -p=2 so a build on a
#                        small shared machine does not run more compilers than cores
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
manifest="$here/builder-config.yaml"

version="$(sed -n 's/^  version: *//p' "$manifest" | head -n 1)"
if [[ -z "$version" ]]; then
  echo "build.sh: no dist.version in $manifest" >&2
  exit 1
fi

cache_root="${TD_MONITORING_CACHE:-${HOME:-/tmp}/.cache/td-monitoring}"
dir="$cache_root/otelcol-$version"
binary="$dir/build/otelcol-td"
stamp="$dir/build/manifest.sha256"
want_hash="$(sha256sum "$manifest" | cut -d ' ' -f 1)"

is_current() {
  [[ -x "$binary" && -f "$stamp" && "$(cat "$stamp")" == "$want_hash" ]]
}

if [[ "${1:-}" == "--print-path" ]]; then
  echo "$binary"
  is_current && exit 0
  exit 3
fi
if [[ $# -gt 0 ]]; then
  echo "build.sh: unknown argument '$1' (expected nothing or --print-path)" >&2
  exit 2
fi

if is_current; then
  echo "otelcol-td $version is current (manifest $want_hash)" >&2
  echo "$binary"
  exit 0
fi

go_cmd="${GO:-}"
if [[ -z "$go_cmd" ]]; then
  if command -v go > /dev/null; then
    go_cmd="$(command -v go)"
  elif [[ -x /usr/local/go/bin/go ]]; then
    go_cmd=/usr/local/go/bin/go
  else
    echo "build.sh: go not found; install Go 1.26 or set GO" >&2
    exit 1
  fi
fi
# The builder runs `go` from PATH itself.
export PATH="$(dirname "$go_cmd"):$PATH"
export GOFLAGS="${GOFLAGS:--p=2}"

mkdir -p "$dir"
# Two callers at once (a test and CI, two shells) would race on one go.mod.
exec 9> "$dir/.lock"
flock 9
if is_current; then
  echo "$binary"
  exit 0
fi

started=$SECONDS
builder="$dir/bin/builder"
if [[ ! -x "$builder" ]]; then
  echo "installing the collector builder v$version into $dir/bin" >&2
  GOBIN="$dir/bin" "$go_cmd" install "go.opentelemetry.io/collector/cmd/builder@v$version"
fi

echo "building otelcol-td $version in $dir/build (GOFLAGS=$GOFLAGS); this takes minutes" >&2
rm -f "$stamp"
(cd "$dir" && "$builder" --config "$manifest") >&2
"$binary" --version >&2
echo "$want_hash" > "$stamp"
echo "built in $((SECONDS - started)) s" >&2
echo "$binary"
