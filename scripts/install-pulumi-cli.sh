#!/usr/bin/env bash
# Installs the pinned Pulumi CLI into $1 (default $HOME/.pulumi/bin) after verifying the
# tarball's SHA-256: against the digest pinned in buildspecs/pulumi-cli.lock (required: the
# checksums file comes from the same host as the tarball, so alone it proves no more than the
# download), and against the checksums file published with the release. Nothing downloaded is executed before
# it has been verified (no `curl | sh` in the stage that holds the deploy credentials).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
lock="${PULUMI_CLI_LOCK:-$here/buildspecs/pulumi-cli.lock}"
dest="${1:-$HOME/.pulumi/bin}"
base="${PULUMI_DOWNLOAD_BASE:-https://get.pulumi.com/releases/sdk}"

version="$(sed -n 's/^version=//p' "$lock")"
pinned="$(sed -n 's/^sha256=//p' "$lock")"
[[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || { echo "install-pulumi-cli: no valid version in $lock" >&2; exit 2; }
if [[ ! "$pinned" =~ ^[0-9a-f]{64}$ ]]; then
  echo "install-pulumi-cli: $lock pins no sha256 for Pulumi $version: refusing to install an unpinned CLI." >&2
  echo "  Pin it once from a trusted machine (buildspecs/pulumi-cli.lock says how) and commit the lock." >&2
  exit 2
fi

# Plain http only to this machine (the test's server); the release host is https.
proto='=https'
[[ "$base" =~ ^http://127\.0\.0\.1[:/] ]] && proto='=https,http'

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
tarball="pulumi-v${version}-linux-x64.tar.gz"
curl -fsSL --proto "$proto" -o "$work/$tarball" "$base/$tarball"
curl -fsSL --proto "$proto" -o "$work/checksums.txt" "$base/pulumi-${version}-checksums.txt"

actual="$(sha256sum "$work/$tarball" | cut -d' ' -f1)"
published="$(awk -v f="$tarball" '$2 == f || $2 == "*"f { print $1 }' "$work/checksums.txt")"
if [[ -z "$published" ]]; then
  echo "install-pulumi-cli: $tarball is not in the release's checksums file" >&2; exit 1
fi
if [[ "$actual" != "$published" ]]; then
  echo "install-pulumi-cli: $tarball has SHA-256 $actual, the release publishes $published: refusing it" >&2; exit 1
fi
if [[ "$actual" != "$pinned" ]]; then
  echo "install-pulumi-cli: $tarball has SHA-256 $actual, $lock pins $pinned: refusing it" >&2; exit 1
fi

mkdir -p "$dest"
tar -xzf "$work/$tarball" -C "$work"
cp "$work"/pulumi/* "$dest"/
echo "install-pulumi-cli: Pulumi $version verified (sha256 $actual, pinned) into $dest"
