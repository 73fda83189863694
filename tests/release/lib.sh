# Shared by the release tiers (tests/release/*.sh): minimal Debian roots of a release and
# architecture, made once with debootstrap and kept as tarballs, and chroots into copies of them.
#
#   . tests/release/lib.sh
#   tarball=$(release_root trixie amd64 [PACKAGE...])   # cached under $RELEASE_CACHE
#   release_unpack "$tarball" DIR                       # a fresh copy
#   release_chroot DIR COMMAND...                       # with /proc, /sys, /dev and /run mounted
#   release_cleanup DIR                                 # unmounts and removes it
#
# The archive's address is read at run time from this machine's apt sources. Foreign
# architectures (arm64, armhf) run through qemu-user-static and binfmt_misc.

RELEASE_CACHE=${RELEASE_CACHE:-${SHOWGUARD_CACHE:-/var/cache/showguard}/release-roots}

release_say() { printf '[release] %s\n' "$*" >&2; }

# The archive's address: the URIs: line of the entry that carries this machine's release.
release_mirror() {
	"$(dirname "${BASH_SOURCE[0]}")/../../scripts/debian-archive.sh"
}

# What debootstrap and foreign roots need on the host.
release_host_tools() {
	local arch=$1 need=()
	command -v debootstrap >/dev/null || need+=(debootstrap)
	if [[ $arch != "$(dpkg --print-architecture)" ]]; then
		command -v qemu-aarch64-static >/dev/null || need+=(qemu-user-static)
		command -v update-binfmts >/dev/null || need+=(binfmt-support)
	fi
	if ((${#need[@]})); then
		apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=600 "${need[@]}" >&2
	fi
	if [[ $arch != "$(dpkg --print-architecture)" ]]; then
		# binfmt_misc is not mounted on every machine; qemu-user-static's entries carry the F
		# flag, so the emulator needs no copy inside the root.
		[[ -e /proc/sys/fs/binfmt_misc/register ]] ||
			mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
		local q
		case $arch in arm64) q=qemu-aarch64 ;; armhf | armel) q=qemu-arm ;; *) q=qemu-$arch ;; esac
		[[ -e /proc/sys/fs/binfmt_misc/$q ]] || update-binfmts --enable "$q" >&2
		[[ -e /proc/sys/fs/binfmt_misc/$q ]] || { echo "release: cannot register $q with binfmt_misc" >&2; return 69; }
	fi
}

# Prints the path of a tarball of a minbase root of SUITE for ARCH, made with debootstrap if it
# is not cached. Its apt finds the same archive and has its package lists.
release_root() {
	local suite=$1 arch=$2 tarball dir mirror
	tarball=$RELEASE_CACHE/$suite-$arch.tar
	if [[ -s $tarball ]]; then
		release_say "cached: $tarball"
		echo "$tarball"
		return 0
	fi
	release_host_tools "$arch"
	mirror=$(release_mirror)
	mkdir -p "$RELEASE_CACHE"
	dir=$(mktemp -d "$RELEASE_CACHE/.root.XXXXXX")
	release_say "debootstrap --variant=minbase $suite $arch"
	if ! debootstrap --variant=minbase --arch="$arch" "$suite" "$dir" "$mirror" >&2; then
		tail -n 20 "$dir/debootstrap/debootstrap.log" >&2 2>/dev/null
		release_cleanup "$dir"
		return 1
	fi
	echo "deb $mirror $suite main" >"$dir/etc/apt/sources.list"
	release_chroot "$dir" apt-get update -q >&2 || { release_cleanup "$dir"; return 1; }
	release_pack "$dir" "$tarball"
	echo "$tarball"
}

# Prints the path of a tarball of the root in BASE (a tarball) with PACKAGES installed by apt,
# made if it is not cached (the name carries the package list).
release_derive() {
	local base=$1 name=$2
	shift 2
	local tarball dir
	tarball=$RELEASE_CACHE/$name-$(printf '%s\n' "$@" | sort | md5sum | cut -c1-8).tar
	if [[ -s $tarball && $tarball -nt $base ]]; then
		release_say "cached: $tarball"
		echo "$tarball"
		return 0
	fi
	dir=$(mktemp -d "$RELEASE_CACHE/.root.XXXXXX")
	release_unpack "$base" "$dir"
	release_say "$name: apt-get install $*"
	{ release_chroot "$dir" apt-get update -q && release_chroot "$dir" apt-get install -y -q --no-install-recommends "$@"; } >&2 ||
		{ release_cleanup "$dir"; return 1; }
	release_pack "$dir" "$tarball"
	echo "$tarball"
}

release_pack() {
	local dir=$1 tarball=$2 m
	rm -f "$dir"/var/cache/apt/archives/*.deb
	while read -r m; do umount -l "$m"; done < <(awk -v d="$(realpath "$dir")" '$2 == d || index($2, d "/") == 1 { print $2 }' /proc/mounts | sort -r)
	chmod 755 "$dir"
	tar -C "$dir" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
	release_cleanup "$dir"
}

# A fresh copy of a root tarball in DIR (made if missing).
release_unpack() {
	mkdir -p "$2"
	tar -C "$2" -xf "$1"
	# A root directory as a system has it (mktemp made it 0700): users other than root
	# in the chroot must reach /.
	chmod 755 "$2"
}

release_mount() {
	local dir=$1 m
	# The root a mount point of its own, as a system's / is: unshare --mount-proc (the PID
	# namespace tests) makes / private, which fails on a directory that is no mount.
	mountpoint -q "$dir" || mount --bind "$dir" "$dir"
	for m in proc sys dev dev/pts run; do
		mountpoint -q "$dir/$m" && continue
		mkdir -p "$dir/$m"
		case $m in
		proc) mount -t proc proc "$dir/proc" ;;
		sys) mount -t sysfs sysfs "$dir/sys" ;;
		dev) mount --bind /dev "$dir/dev" ;;
		dev/pts) mount --bind /dev/pts "$dir/dev/pts" ;;
		run) mount -t tmpfs tmpfs "$dir/run" ;;
		esac
	done
	cp -L /etc/resolv.conf "$dir/etc/resolv.conf" 2>/dev/null || true
}

# Runs COMMAND in the root as root, with a clean environment.
release_chroot() {
	local dir=$1
	shift
	release_mount "$dir"
	env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive \
		chroot "$dir" "$@"
}

# Unmounts whatever is mounted below each DIR, then removes it.
release_cleanup() {
	local dir m
	for dir in "$@"; do
		[[ -n $dir && -d $dir ]] || continue
		dir=$(realpath "$dir")
		while read -r m; do
			umount -l "$m" 2>/dev/null || true
		done < <(awk -v d="$dir" '$2 == d || index($2, d "/") == 1 { print $2 }' /proc/mounts | sort -r)
		rm -rf --one-file-system "$dir"
	done
}
