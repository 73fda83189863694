#!/usr/bin/env bash
# Prints the address of the Debian archive this machine uses: the URIs: line of the apt source
# entry that carries the machine's own release (deb822 debian.sources first, then the one-line
# sources.list). Nothing names an archive's host in this tree; every script that makes a root or
# downloads a package asks here at run time. Exit 69 when no such entry exists.
set -euo pipefail
codename=$(. /etc/os-release && echo "${VERSION_CODENAME:?no VERSION_CODENAME in /etc/os-release}")
uri=
if [[ -r /etc/apt/sources.list.d/debian.sources ]]; then
	uri=$(awk -v c="$codename" '
		BEGIN { RS = ""; FS = "\n" }
		{
			u = ""; ok = 0
			for (i = 1; i <= NF; i++) {
				if ($i ~ /^URIs:/)   { u = $i; sub(/^URIs:[ \t]*/, "", u); sub(/[ \t].*/, "", u) }
				if ($i ~ /^Suites:/) { n = split(substr($i, 8), s, /[ \t]+/)
				                       for (j = 1; j <= n; j++) if (s[j] == c) ok = 1 }
			}
			if (ok && u != "") { print u; exit }
		}' /etc/apt/sources.list.d/debian.sources)
fi
if [[ -z $uri && -r /etc/apt/sources.list ]]; then
	uri=$(awk -v c="$codename" '$1 == "deb" && $0 ~ (" " c " ") {
		for (i = 2; i <= NF; i++) if ($i !~ /^\[/ && $i !~ /\]$/) { print $i; exit } }' /etc/apt/sources.list)
fi
[[ -n $uri ]] || { echo "no '$codename' entry in the apt sources" >&2; exit 69; }
echo "$uri"
