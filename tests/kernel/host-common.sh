# shellcheck shell=bash
# Helpers shared by the host-side scripts of the kernel test tier (sourced, bash).
# Callers set -euo pipefail themselves.

SHOWGUARD_CACHE="${SHOWGUARD_CACHE:-/var/cache/showguard}"
HOST_ARCH="$(dpkg --print-architecture)"

log() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }
die() { log "error: $*"; exit 1; }

require_root() {
    [[ $EUID -eq 0 ]] || die "must run as root (installs what it needs with apt-get)"
}

# Debian architecture -> GNU triplet.
triplet_of() {
    case "$1" in
        amd64) echo x86_64-linux-gnu ;;
        arm64) echo aarch64-linux-gnu ;;
        *) die "unsupported architecture '$1' (amd64 or arm64)" ;;
    esac
}

_apt_updated=0
apt_update() {
    ((_apt_updated)) && return 0
    _apt_updated=1
    log "apt-get update"
    # It can exit non-zero for a transient foreign-architecture index mismatch; the
    # install or download that follows is the real check.
    apt-get update -qq -o DPkg::Lock::Timeout=300 >&2 || log "warning: apt-get update exited non-zero; carrying on"
}

# Prints those of the packages (NAME or NAME:ARCH) that are not installed.
missing_packages() {
    local p
    for p in "$@"; do
        [[ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" == "install ok installed" ]] \
            || printf '%s\n' "$p"
    done
}

# Installs the packages that are missing; a no-op (and no network) when none are.
apt_install() {
    local -a missing
    mapfile -t missing < <(missing_packages "$@")
    ((${#missing[@]})) || return 0
    apt_update
    log "installing: ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o Dpkg::Use-Pty=0 -o DPkg::Lock::Timeout=300 --no-install-recommends "${missing[@]}" >&2
}

ensure_foreign_arch() {
    [[ "$1" == "$HOST_ARCH" ]] && return 0
    # Not `| grep -q`: under pipefail its early exit can fail the pipeline with SIGPIPE.
    local foreign
    foreign="$(dpkg --print-foreign-architectures)"
    [[ $'\n'"$foreign"$'\n' == *$'\n'"$1"$'\n'* ]] && return 0
    log "dpkg --add-architecture $1"
    dpkg --add-architecture "$1"
    _apt_updated=0
    apt_update
}

# A fingerprint of everything apt-cache answers from: the package lists, the sources,
# the pinning and dpkg's architectures.
apt_fingerprint() {
    {
        dpkg --print-architecture
        dpkg --print-foreign-architectures
        # Regular files only: apt touches lists/partial/ on every download.
        find /var/lib/apt/lists /etc/apt/sources.list /etc/apt/sources.list.d \
            /etc/apt/preferences /etc/apt/preferences.d -maxdepth 1 -type f ! -name lock \
            -printf '%p %s %T@\n' 2>/dev/null | LC_ALL=C sort
    } | sha256sum | cut -c1-32
}

# apt_cache ARGS...: `apt-cache ARGS...`, remembered until the package lists change.
# Images that disable apt's binary cache (Dir::Cache::pkgcache "") spend over a second
# parsing the lists on every apt-cache call; this keeps a cache hit of the tier instant.
apt_cache() {
    local dir="$SHOWGUARD_CACHE/kernel/apt-query" file
    file="$dir/$( { apt_fingerprint; printf '%s\n' "$@"; } | sha256sum | cut -c1-32)"
    if [[ ! -f "$file" ]]; then
        mkdir -p "$dir"
        find "$dir" -type f -mtime +30 -delete 2>/dev/null || true
        apt-cache "$@" >"$file.$$" 2>/dev/null || true
        mv -f "$file.$$" "$file"
    fi
    cat "$file"
}

# Candidate version of NAME[:ARCH]; empty if apt does not know it.
candidate_version() {
    apt_cache policy "$1" | awk '/^  Candidate:/ { if ($2 != "(none)") print $2; exit }'
}

# Succeeds if VERSION of NAME[:ARCH] is downloadable.
has_version() {
    apt_cache madison "$1" | awk -v v="$2" -F' [|] ' '$2 == v { found = 1 } END { exit !found }'
}

# apt_download DIR PKG=VERSION...: fetch .debs into DIR, refreshing stale lists once.
apt_download() {
    local dir="$1"
    shift
    mkdir -p "$dir"
    # apt drops privileges to _apt for downloads; let it write there.
    if id _apt >/dev/null 2>&1; then chown _apt "$dir"; fi
    if ! (cd "$dir" && apt-get download -qq "$@" >&2); then
        apt_update
        (cd "$dir" && apt-get download -qq "$@" >&2) || die "apt-get download failed: $*"
    fi
}

# unpacked_packages ARCH NAME...: unpack the candidate versions of NAME:ARCH... (the
# .debs, not their dependencies) once into one directory of the cache and print it.
unpacked_packages() {
    local arch="$1" name version dir tmp deb
    shift
    local -a specs=()
    ensure_foreign_arch "$arch"
    for name in "$@"; do
        version="$(candidate_version "$name:$arch")"
        if [[ -z "$version" ]]; then
            apt_update
            version="$(candidate_version "$name:$arch")"
            [[ -n "$version" ]] || die "apt knows no package $name:$arch"
        fi
        specs+=("$name:$arch=$version")
    done
    dir="$SHOWGUARD_CACHE/kernel/debs/$arch-$(printf '%s\n' "${specs[@]}" | sha256sum | cut -c1-16)"
    if [[ ! -f "$dir/.complete" ]]; then
        mkdir -p "$SHOWGUARD_CACHE/kernel/debs"
        tmp="$(mktemp -d "$dir.XXXXXX")"
        chmod 755 "$tmp"
        apt_download "$tmp/deb" "${specs[@]}"
        for deb in "$tmp"/deb/*.deb; do
            dpkg -x "$deb" "$tmp/root"
        done
        printf '%s\n' "${specs[@]}" >"$tmp/root/.packages"
        touch "$tmp/root/.complete"
        # A concurrent run may have published (and be using) the same directory.
        if [[ ! -f "$dir/.complete" ]]; then
            rm -rf "$dir"
            mv -T "$tmp/root" "$dir" 2>/dev/null || [[ -f "$dir/.complete" ]] \
                || die "cannot publish $dir"
        fi
        rm -rf "$tmp"
    fi
    printf '%s\n' "$dir"
}
