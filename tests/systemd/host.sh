# shellcheck shell=bash
# Shared by the host-side scripts of the systemd VM tier (build-rootfs.sh, run-vm.sh).
# Sourced, not run: it only defines functions.

sg_log() { printf 'showguard-vm: %s\n' "$*" >&2; }
sg_die() {
  sg_log "error: $*"
  exit 1
}

sg_require_root() {
  [[ $(id -u) -eq 0 ]] || sg_die "must run as root (debootstrap, chroot, mknod and dpkg need it)"
}

sg_cache_dir() { printf '%s/systemd\n' "${SHOWGUARD_CACHE:-/var/cache/showguard}"; }

# apt-get update can exit non-zero for a transient foreign-architecture index mismatch; the install
# (or look-up) that follows is the real check, so its failure is only reported.
sg_apt_update() {
  apt-get update -qq >&2 || sg_log "apt-get update exited $?; going on (the next apt step is the real check)"
}

# sg_ensure_packages PACKAGE...: installs the Debian packages among PACKAGE that are not installed yet.
sg_ensure_packages() {
  local pkg missing=()
  for pkg in "$@"; do
    [[ $(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null) == "install ok installed" ]] || missing+=("$pkg")
  done
  ((${#missing[@]})) || return 0
  sg_log "installing host packages: ${missing[*]}"
  sg_apt_update
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    -o DPkg::Lock::Timeout=300 "${missing[@]}" >&2
}

# sg_module_load_order MODULES_DEP NAME...: the modules NAME and everything they depend on, as paths
# relative to the module directory, in an order insmod can load them (dependencies first, each once).
# depmod lists a module's dependencies transitively, the one to load first last. A NAME built into the
# kernel (modules.builtin beside MODULES_DEP: trixie's 6.12 has virtio_pci and fuse built in) needs
# no loading.
sg_module_load_order() {
  local dep=$1 builtin
  shift
  builtin=$(dirname "$dep")/modules.builtin
  [[ -e $builtin ]] || builtin=/dev/null
  awk -v want="$*" -v builtin="$builtin" '
    function norm(s) { sub(/.*\//, "", s); sub(/\.ko(\.[a-z]+)?$/, "", s); gsub(/-/, "_", s); return s }
    function emit(p) { if (!(p in seen)) { seen[p] = 1; print p } }
    FILENAME == builtin { inside[norm($1)] = 1; next }
    { p = $1; sub(/:$/, "", p); n = norm(p); path[n] = p; line[n] = $0 }
    END {
      k = split(want, w, " ")
      for (i = 1; i <= k; i++) {
        n = w[i]; gsub(/-/, "_", n)
        if (!(n in path) && (n in inside)) continue
        if (!(n in path)) { print "showguard-vm: error: no module " w[i] " in " FILENAME > "/dev/stderr"; bad = 1; continue }
        m = split(line[n], d, " ")
        for (j = m; j >= 2; j--) emit(d[j])
        emit(path[n])
      }
      exit bad
    }' "$builtin" "$dep"
}

# sg_in_root ROOT COMMAND...: runs COMMAND chrooted into ROOT with /proc mounted, in a private mount
# namespace so that nothing stays mounted whatever happens.
sg_in_root() {
  local root=$1
  shift
  # shellcheck disable=SC2016 # $1 and $@ belong to the inner shell
  unshare --mount --propagation private -- sh -c 'mount -t proc proc "$1/proc" && shift && exec chroot "$@"' \
    sh "$root" "$root" "$@"
}
