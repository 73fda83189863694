# shellcheck shell=bash
# Sourced by scripts/test.sh and the scripts/test-*.sh tiers.
#
# with_build_lock DIR COMMAND...: runs COMMAND (a program or a shell function) holding
# DIR's build lock, so that one build directory is never built twice at once:
# scripts/test.sh builds the later tiers' directories ahead, in the background,
# while a tier may reach the same build itself. With SHOWGUARD_PREPARING set (the
# background preparation) a directory that is locked already is skipped: its tier
# has it, and may hold it for a long time (a cross workflow holds it through its tests).
with_build_lock() {
	local dir=$1
	shift
	mkdir -p "$dir"
	(
		if [[ -n ${SHOWGUARD_PREPARING:-} ]]; then
			# Building ahead (scripts/test.sh): a directory its tier is
			# building or testing already is left to the tier.
			flock -n 9 || { echo "$dir: in use by its tier; not built ahead"; exit 0; }
		else
			flock 9 || exit 1
		fi
		# While COMMAND runs, bash keeps fd 9 in a close-on-exec copy: no compiler,
		# test or process a test leaves behind inherits the lock.
		"$@" 9>&-
	) 9>"$dir/.build-lock"
}
