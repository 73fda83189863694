# shellcheck shell=bash
# Sourced by scripts/test.sh and the scripts/test-*.sh tiers.
#
# with_build_lock DIR COMMAND...: runs COMMAND (a program or a shell function) holding
# DIR's build lock, so that one build directory is never built twice at once:
# scripts/test.sh builds the later tiers' directories ahead, in the background,
# while a tier may reach the same build itself.
with_build_lock() {
	local dir=$1
	shift
	mkdir -p "$dir"
	(
		flock 9 || exit 1
		# While COMMAND runs, bash keeps fd 9 in a close-on-exec copy: no compiler,
		# test or process a test leaves behind inherits the lock.
		"$@" 9>&-
	) 9>"$dir/.build-lock"
}
