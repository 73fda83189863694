# SPDX-License-Identifier: GPL-2.0-or-later
"""A real three-member etcd cluster on loopback ports, and a TCP proxy per
controller in front of it that a test can freeze (a partition: packets go
nowhere, connections hang) and heal. Everything stays on 127.0.0.1."""

import json
import os
import selectors
import signal
import socket
import subprocess
import threading
import time
import urllib.request


def free_ports(n):
    socks = []
    for _ in range(n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def post(url, body, timeout=2.0):
    request = urllib.request.Request(url, data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as answer:
        return json.loads(answer.read())


class EtcdCluster:
    """Three etcd members, each in its own process group, killed on stop()."""

    def __init__(self, tmp, size=3):
        self.tmp = tmp
        ports = free_ports(2 * size)
        self.names = [f"m{i}" for i in range(size)]
        self.client_ports = ports[:size]
        self.peer_ports = ports[size:]
        self.procs = [None] * size
        self.initial = ",".join(f"{n}=http://127.0.0.1:{p}" for n, p in zip(self.names, self.peer_ports))

    def client_url(self, i):
        return f"http://127.0.0.1:{self.client_ports[i]}"

    def start_member(self, i):
        name = self.names[i]
        log = open(os.path.join(self.tmp, f"etcd-{name}.log"), "ab")
        self.procs[i] = subprocess.Popen(
            ["etcd", "--name", name, "--data-dir", os.path.join(self.tmp, f"etcd-{name}"),
             "--listen-client-urls", self.client_url(i), "--advertise-client-urls", self.client_url(i),
             "--listen-peer-urls", f"http://127.0.0.1:{self.peer_ports[i]}",
             "--initial-advertise-peer-urls", f"http://127.0.0.1:{self.peer_ports[i]}",
             "--initial-cluster", self.initial, "--initial-cluster-state", "new",
             "--initial-cluster-token", f"showguard-test-{os.getpid()}", "--log-level", "warn"],
            stdout=log, stderr=log, start_new_session=True)
        log.close()

    def start(self):
        for i in range(len(self.names)):
            self.start_member(i)
        self.wait_healthy()

    def kill_member(self, i):
        proc = self.procs[i]
        if proc and proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        self.procs[i] = None

    def running(self):
        return [i for i, p in enumerate(self.procs) if p and p.poll() is None]

    def leader(self):
        """The index of the member that is leader, or None."""
        for i in self.running():
            try:
                status = post(self.client_url(i) + "/v3/maintenance/status", {}, timeout=1.0)
            except OSError:
                continue
            leader = status.get("leader")
            if leader and leader == status["header"]["member_id"]:
                return i
        return None

    def wait_healthy(self, timeout=30.0):
        """Until a leader serves a linearizable read through every running member."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                for i in self.running():
                    post(self.client_url(i) + "/v3/kv/range", {"key": "aGVhbHRo"}, timeout=1.0)
                return
            except OSError:
                time.sleep(0.1)
        raise AssertionError(f"etcd cluster not healthy after {timeout}s")

    def stop(self):
        for i in range(len(self.procs)):
            self.kill_member(i)


class Proxy(threading.Thread):
    """One controller's way to the cluster: a local port per member. freeze()
    stops every byte in both directions and leaves new connections hanging,
    as a cable pulled between the controller and the cluster does; heal()
    drops the frozen connections and lets traffic through again."""

    def __init__(self, targets):
        super().__init__(daemon=True)
        self.listeners = []
        for port in targets:
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", 0))
            s.listen(64)
            s.setblocking(False)
            self.listeners.append((s, port))
        self.urls = [f"http://127.0.0.1:{s.getsockname()[1]}" for s, _ in self.listeners]
        self.lock = threading.Lock()
        self.frozen = False
        self.heal_requested = False
        self.stopped = False
        self.pairs = {}  # socket -> its peer (None: not connected upstream, frozen)
        self.start()

    def freeze(self):
        with self.lock:
            self.frozen = True

    def heal(self):
        with self.lock:
            self.frozen = False
            self.heal_requested = True

    def close(self):
        with self.lock:
            self.stopped = True
        self.join(timeout=2)

    def _drop(self, s):
        peer = self.pairs.pop(s, None)
        for sock in (s, peer):
            if sock is None:
                continue
            self.pairs.pop(sock, None)
            try:
                self.sel.unregister(sock)
            except (KeyError, ValueError):
                pass
            sock.close()

    def run(self):
        self.sel = selectors.DefaultSelector()
        for s, port in self.listeners:
            self.sel.register(s, selectors.EVENT_READ, port)
        registered = True
        while True:
            with self.lock:
                stopped, frozen = self.stopped, self.frozen
                heal, self.heal_requested = self.heal_requested, False
            if stopped:
                break
            if heal:
                for s in list(self.pairs):
                    self._drop(s)
                registered = True
            if frozen and registered:
                for s in self.pairs:
                    try:
                        self.sel.unregister(s)
                    except (KeyError, ValueError):
                        pass
                registered = False
            for key, _ in self.sel.select(timeout=0.05):
                s = key.fileobj
                if any(s is l for l, _ in self.listeners):
                    try:
                        client, _ = s.accept()
                    except BlockingIOError:
                        continue
                    if frozen:
                        self.pairs[client] = None  # hangs: nothing comes back
                        continue
                    upstream = socket.socket()
                    try:
                        upstream.connect(("127.0.0.1", key.data))
                    except OSError:
                        client.close()  # member down: the connection fails
                        upstream.close()
                        continue
                    self.pairs[client] = upstream
                    self.pairs[upstream] = client
                    self.sel.register(client, selectors.EVENT_READ)
                    self.sel.register(upstream, selectors.EVENT_READ)
                    continue
                peer = self.pairs.get(s)
                try:
                    data = s.recv(65536)
                except OSError:
                    data = b""
                if not data or peer is None:
                    self._drop(s)
                    continue
                try:
                    peer.sendall(data)
                except OSError:
                    self._drop(s)
        for s in list(self.pairs):
            self._drop(s)
        for s, _ in self.listeners:
            s.close()


def make_certificates(directory):
    """A test CA, a server certificate for 127.0.0.1 and a client
    certificate. The client's has no CommonName: etcd 3.4's JSON gateway
    refuses client certificates with one when it checks client certificates
    (it cannot map the name to an etcd user through the gateway)."""
    def openssl(*args):
        subprocess.run(["openssl", *args], cwd=directory, check=True, capture_output=True)
    with open(os.path.join(directory, "san.ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1\n")
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "1",
            "-subj", "/CN=showguard-test-ca")
    for name, subject in (("server", "/CN=127.0.0.1"), ("client", "/O=showguard-test")):
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.csr",
                "-subj", subject)
        openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                "-out", f"{name}.pem", "-days", "1", "-extfile", "san.ext")
    return {n: os.path.join(directory, n) for n in ("ca.pem", "server.pem", "server.key", "client.pem", "client.key")}


class SecureEtcd:
    """One etcd member with TLS, client certificates required, and
    authentication on: user "showguard" may read and write /showguard/."""

    def __init__(self, tmp, password):
        self.dir = os.path.join(tmp, "secure")
        os.makedirs(self.dir)
        self.files = make_certificates(self.dir)
        client, peer = free_ports(2)
        self.url = f"https://127.0.0.1:{client}"
        log = open(os.path.join(self.dir, "etcd.log"), "ab")
        self.proc = subprocess.Popen(
            ["etcd", "--name", "s", "--data-dir", os.path.join(self.dir, "data"),
             "--listen-client-urls", self.url, "--advertise-client-urls", self.url,
             "--listen-peer-urls", f"http://127.0.0.1:{peer}",
             "--initial-advertise-peer-urls", f"http://127.0.0.1:{peer}",
             "--initial-cluster", f"s=http://127.0.0.1:{peer}",
             "--cert-file", self.files["server.pem"], "--key-file", self.files["server.key"],
             "--trusted-ca-file", self.files["ca.pem"], "--client-cert-auth", "--log-level", "warn"],
            stdout=log, stderr=log, start_new_session=True)
        log.close()
        ctl = ["etcdctl", "--endpoints", self.url, "--cacert", self.files["ca.pem"],
               "--cert", self.files["client.pem"], "--key", self.files["client.key"], "--dial-timeout", "2s"]
        deadline = time.monotonic() + 20
        while subprocess.run(ctl + ["endpoint", "health"], capture_output=True).returncode != 0:
            if time.monotonic() > deadline:
                raise AssertionError("the TLS etcd member did not come up")
            time.sleep(0.2)
        for command in (["user", "add", "root", "--new-user-password=root-secret"], ["role", "add", "root"],
                        ["user", "grant-role", "root", "root"],
                        ["user", "add", "showguard", f"--new-user-password={password}"],
                        ["role", "add", "shows"],
                        ["role", "grant-permission", "shows", "--prefix=true", "readwrite", "/showguard/"],
                        ["user", "grant-role", "showguard", "shows"], ["auth", "enable"]):
            subprocess.run(ctl + command, check=True, capture_output=True)

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
