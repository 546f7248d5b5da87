#!/usr/bin/env bash
# Provides a real kube-apiserver, kube-controller-manager and etcd for Keyward's *IT tests and the
# local playground. Nothing prebuilt can be downloaded on our machines, so Kubernetes 1.20.2 is built
# from Debian bookworm's source package (it vendors every Go module) with Debian's Go 1.19.
# The result is cached outside the repository and built only when missing (about 3 minutes cold).
#
# Usage: scripts/provision-kube.sh        prints the directory that holds the binaries
set -euo pipefail

K8S_VERSION=1.20.2
DEB_VERSION=1.20.5+really1.20.2-1.1+deb12u1
OUT="${KEYWARD_KUBE_DIR:-$HOME/.cache/keyward/kube-$K8S_VERSION}"

if [[ -x "$OUT/kube-apiserver" && -x "$OUT/kube-controller-manager" && -x "$OUT/etcd" ]]; then
  echo "$OUT"
  exit 0
fi

WORK="${KEYWARD_KUBE_BUILD_DIR:-$HOME/.cache/keyward/kube-build}"
rm -rf "$WORK"
mkdir -p "$WORK"/apt/{lists/partial,cache/archives/partial,etc} "$WORK/root" "$OUT"
cd "$WORK"
log() { echo "[provision-kube] $*" >&2; }

# A private apt configuration: the machine's own sources stay untouched, and deb-src is added.
cat > apt/etc/sources.list <<SRC
deb http://deb.debian.org/debian bookworm main
deb-src http://deb.debian.org/debian bookworm main
deb http://deb.debian.org/debian-security bookworm-security main
deb-src http://deb.debian.org/debian-security bookworm-security main
SRC
APT_OPTS=(-o "Dir::Etc::SourceList=$WORK/apt/etc/sources.list" -o "Dir::Etc::SourceParts=/nonexistent"
  -o "Dir::State::Lists=$WORK/apt/lists" -o "Dir::Cache=$WORK/apt/cache" -o "APT::Sandbox::User=root")
log "apt-get update (private lists)"
apt-get "${APT_OPTS[@]}" -qq update >&2

log "downloading the kubernetes source package and the build tools"
apt-get "${APT_OPTS[@]}" -qq source --download-only "kubernetes=$DEB_VERSION" >&2
apt-get "${APT_OPTS[@]}" -qq download golang-1.19-go golang-1.19-src rsync libpopt0 \
  golang-github-modern-go-reflect2-dev etcd-server >&2
for deb in ./*.deb; do dpkg-deb -x "$deb" root; done

log "unpacking and patching the source tree"
mkdir src
tar -xf kubernetes_*.orig.tar.* -C src --strip-components=1
tar -xf kubernetes_*.debian.tar.* -C src
(cd src && while read -r p; do
  [[ -z "$p" || "$p" == \#* ]] && continue
  patch -s -p1 < "debian/patches/$p"
done < debian/patches/series)

# Go 1.19 faults at run time in the vendored reflect2 v1.0.1; Debian's 1.0.2 fixes it.
R2=src/vendor/github.com/modern-go/reflect2
find "$R2" -maxdepth 1 \( -name '*.go' -o -name '*.s' \) -delete
cp root/usr/share/gocode/src/github.com/modern-go/reflect2/*.go "$R2"/
cp root/usr/share/gocode/src/github.com/modern-go/reflect2/*.s "$R2"/ 2>/dev/null || true

# The make scripts need rsync, which needs libpopt from the unpacked package.
mkdir -p bin
cat > bin/rsync <<WRAP
#!/usr/bin/env bash
LD_LIBRARY_PATH="$WORK/root/usr/lib/x86_64-linux-gnu:$WORK/root/lib/x86_64-linux-gnu" exec "$WORK/root/usr/bin/rsync" "\$@"
WRAP
chmod +x bin/rsync

log "building kube-apiserver and kube-controller-manager (a few minutes)"
export GOROOT="$WORK/root/usr/lib/go-1.19"
export PATH="$WORK/bin:$GOROOT/bin:$PATH"
export GOPROXY=off GOFLAGS=-mod=vendor CGO_ENABLED=0 GOCACHE="$WORK/gocache" GOPATH="$WORK/gopath"
(cd src && make WHAT="cmd/kube-apiserver cmd/kube-controller-manager" \
  KUBE_GIT_VERSION=v$K8S_VERSION KUBE_GIT_TREE_STATE=clean >&2)

BIN=$(dirname "$(find src/_output -type f -name kube-apiserver -perm -u+x | head -1)")
cp "$BIN/kube-apiserver" "$BIN/kube-controller-manager" root/usr/bin/etcd "$OUT"/
chmod +x "$OUT"/*
cd /
rm -rf "$WORK"
log "binaries in $OUT"
echo "$OUT"
