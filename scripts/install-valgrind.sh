#!/usr/bin/env bash
# Puts a valgrind that knows pidfd_open(2) and pidfd_send_signal(2) into a private prefix.
# bookworm's valgrind 3.19 answers them with ENOSYS ("unhandled amd64-linux syscall: 434"),
# so a guard under it cannot start a show; trixie's (3.24) handles them, and its launcher
# runs on bookworm's libc (its tools are static). Nothing is installed: apt runs with a
# private configuration (the archive's address asked at run time of scripts/debian-archive.sh)
# to download the one package, and dpkg -x unpacks it.
#
# Prints, as its last line, the command to run valgrind with:
#   VALGRIND=env VALGRIND_LIB=PREFIX/usr/libexec/valgrind PREFIX/usr/bin/valgrind
# Cached in ${SHOWGUARD_CACHE:-/var/cache/showguard}/valgrind-trixie.
set -euo pipefail

arch=$(dpkg --print-architecture)
prefix=${SHOWGUARD_CACHE:-/var/cache/showguard}/valgrind-trixie
suite=trixie
say() { printf '[install-valgrind] %s\n' "$*" >&2; }
command_for() { echo "VALGRIND=env VALGRIND_LIB=$prefix/usr/libexec/valgrind $prefix/usr/bin/valgrind"; }

if [[ -x $prefix/usr/bin/valgrind ]] &&
	VALGRIND_LIB=$prefix/usr/libexec/valgrind "$prefix/usr/bin/valgrind" --version >/dev/null 2>&1; then
	say "cached: $prefix ($(VALGRIND_LIB=$prefix/usr/libexec/valgrind "$prefix/usr/bin/valgrind" --version))"
	command_for
	exit 0
fi

# Exits 69 with its own message when the machine's apt sources name no archive.
uri=$(bash "$(dirname "${BASH_SOURCE[0]}")/debian-archive.sh")

mkdir -p "$(dirname "$prefix")"
work=$(mktemp -d "$(dirname "$prefix")/.valgrind-apt.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$work/archives/partial" "$work/empty" "$work/debs"
cat >"$work/$suite.sources" <<EOF
Types: deb
URIs: $uri
Suites: $suite
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
opts=(
	-o "Dir::Etc::SourceList=$work/$suite.sources" -o "Dir::Etc::SourceParts=$work/empty"
	-o "Dir::Etc::Preferences=$work/empty/preferences" -o "Dir::Etc::PreferencesParts=$work/empty"
	-o "Dir::State::Lists=$work/lists" -o "Dir::Cache::Archives=$work/archives"
	-o "Dir::Cache::pkgcache=" -o "Dir::Cache::srcpkgcache=" -o "APT::Architectures::=$arch"
)
chmod 755 "$work"
chown -R _apt "$work/lists" "$work/debs" 2>/dev/null || true
say "indexing $suite with a private apt configuration"
apt-get "${opts[@]}" update -q >&2
version=$(apt-cache "${opts[@]}" show "valgrind:$arch" 2>/dev/null | awk '/^Version:/ { print $2 }' | sort -V | tail -n 1)
[[ -n $version ]] || { echo "install-valgrind: $suite has no valgrind for $arch" >&2; exit 69; }
(cd "$work/debs" && apt-get "${opts[@]}" download -q "valgrind:$arch=$version" >&2)
rm -rf "$prefix.new"
dpkg -x "$work"/debs/valgrind_*.deb "$prefix.new"
rm -rf "$prefix"
mv "$prefix.new" "$prefix"
say "ready: $prefix ($(VALGRIND_LIB=$prefix/usr/libexec/valgrind "$prefix/usr/bin/valgrind" --version))"
command_for
