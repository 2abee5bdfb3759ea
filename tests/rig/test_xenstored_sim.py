#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""Self test of the xenstore simulator, printing TAP.

Starts xenstored_sim.py on a temporary socket and exercises it with the
Python client (xsclient.py), the real xenstore-* tools (through
XENSTORED_PATH) and a C program linked against the real libxenstore that is
generated and compiled on the fly.  Exits non-zero if any test fails.
"""

import json
import os
import random
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import xsclient                                     # noqa: E402
from xsclient import XsError                        # noqa: E402

SIM = os.path.join(HERE, "xenstored_sim.py")
HEADER = struct.Struct("=IIII")


# ---------------------------------------------------------------------------
# Harness
# ---------------------------------------------------------------------------

class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


def expect_error(name, func, *args):
    try:
        func(*args)
    except XsError as err:
        check(err.name == name, "expected %s, got %s" % (name, err.name))
        return
    raise Failure("expected %s, call succeeded" % name)


class Simulator:
    """A simulator process on a socket inside the temp dir."""

    def __init__(self, tmpdir, name, state=None, watch_quota=None):
        self.sock = os.path.join(tmpdir, name + ".sock")
        self.pidfile = os.path.join(tmpdir, name + ".pid")
        self.logfile = os.path.join(tmpdir, name + ".log")
        self.state = state
        self.watch_quota = watch_quota
        self.proc = None

    def start(self, timeout=10.0):
        cmd = [SIM, "--socket", self.sock, "--pidfile", self.pidfile,
               "--log", self.logfile]
        if self.state:
            cmd += ["--state", self.state]
        if self.watch_quota is not None:
            cmd += ["--watch-quota", str(self.watch_quota)]
        self.proc = subprocess.Popen(cmd)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise Failure("simulator exited with %d:\n%s"
                              % (self.proc.returncode, self.log_tail()))
            if xsclient.wait_for_socket(self.sock, 0, self.pidfile):
                return
            time.sleep(0.01)
        raise Failure("simulator did not start within %.0fs" % timeout)

    def stop(self, timeout=10.0):
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise Failure("simulator ignored SIGTERM")

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def client(self, timeout=5.0):
        return xsclient.XsClient(self.sock, timeout=timeout)

    def env(self):
        return dict(os.environ, XENSTORED_PATH=self.sock)

    def log_tail(self, lines=20):
        try:
            with open(self.logfile, encoding="utf-8", errors="replace") as f:
                return "".join(f.readlines()[-lines:])
        except OSError:
            return "(no log)"


class Context:
    def __init__(self, tmpdir):
        self.tmpdir = tmpdir
        self.sim = Simulator(tmpdir, "main")
        self.c_program = None           # path once compiled
        self.c_skip = None              # reason for skipping C tests
        self.c_results = None           # name -> (passed, detail)


def raw_exchange(sock_path, data, timeout=5.0):
    """Send raw bytes, return all replies received until one reply per
    request header was seen (used for protocol-level checks)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.connect(sock_path)
        sock.sendall(data)
        return read_messages(sock, count_requests(data), timeout)


def count_requests(data):
    count, pos = 0, 0
    while pos + HEADER.size <= len(data):
        length = HEADER.unpack_from(data, pos)[3]
        pos += HEADER.size + length
        count += 1
    return count


def read_messages(sock, count, timeout):
    buf = b""
    messages = []
    deadline = time.monotonic() + timeout
    while len(messages) < count:
        while len(buf) >= HEADER.size:
            mtype, req, tx, length = HEADER.unpack_from(buf)
            if len(buf) < HEADER.size + length:
                break
            messages.append((mtype, req, tx,
                             buf[HEADER.size:HEADER.size + length]))
            buf = buf[HEADER.size + length:]
        if len(messages) >= count:
            break
        left = deadline - time.monotonic()
        check(left > 0, "timed out waiting for raw replies")
        readable, _, _ = select.select([sock], [], [], left)
        if readable:
            data = sock.recv(65536)
            if not data:
                break
            buf += data
    return messages


def message(mtype, payload, req_id=0, tx_id=0):
    return HEADER.pack(mtype, req_id, tx_id, len(payload)) + payload


def run_tool(ctx, *args, stdin=None):
    return subprocess.run(args, env=ctx.sim.env(), input=stdin,
                          capture_output=True, timeout=30)


def tool_ok(ctx, *args):
    result = run_tool(ctx, *args)
    check(result.returncode == 0, "%s failed (%d): %s" % (
        " ".join(args), result.returncode, result.stderr.decode()))
    return result.stdout.decode("utf-8", "replace")


class LineReader:
    """Reads lines from a child's stdout with a deadline."""

    def __init__(self, stream):
        self.fd = stream.fileno()
        self.buf = b""

    def readline(self, timeout):
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            readable, _, _ = select.select([self.fd], [], [], left)
            if readable:
                data = os.read(self.fd, 4096)
                if not data:
                    return None
                self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode("utf-8", "replace")


def next_event(xs, timeout=5.0):
    event = xs.wait_event(timeout=timeout)
    check(event is not None, "no watch event within %.1fs" % timeout)
    return tuple(event)


def no_event(xs, settle_path):
    """Prove that no event is pending: write a marker the watcher also sees
    and check it is the first event to arrive."""
    xs.write(settle_path, b"marker")
    event = next_event(xs)
    check(event[0] == settle_path, "unexpected event %r" % (event,))


# ---------------------------------------------------------------------------
# Tests using the Python client
# ---------------------------------------------------------------------------

def test_startup(ctx):
    """simulator starts, writes its pidfile and accepts connections"""
    ctx.sim.start()
    with open(ctx.sim.pidfile, encoding="ascii") as f:
        pid = int(f.read().strip())
    check(pid == ctx.sim.proc.pid, "pidfile has %d, process is %d"
          % (pid, ctx.sim.proc.pid))
    with ctx.sim.client() as xs:
        check(xs.directory("/") == ["tool"], "initial tree: %r"
              % xs.directory("/"))
        check(xs.read("/tool/xenstored") == b"", "/tool/xenstored")


def test_binary_values(ctx):
    """read/write round-trips arbitrary bytes"""
    values = [b"", b"plain", b"\xff\xfe\x80 invalid utf-8",
              b"ctl\x01\x02\x1b[0m\n\t", b"nul\0inside\0", bytes(range(256)),
              b"x" * 4000]
    with ctx.sim.client() as xs:
        for index, value in enumerate(values):
            xs.write("/bin/v%d" % index, value)
        for index, value in enumerate(values):
            got = xs.read("/bin/v%d" % index)
            check(got == value, "value %d: %r != %r" % (index, got[:40],
                                                        value[:40]))
        expect_error("ENOENT", xs.read, "/bin/missing")
        expect_error("ENOENT", xs.read, "/nothere/at/all")


def test_implicit_parents_and_perms(ctx):
    """writes create parents that inherit permissions; perms round-trip"""
    with ctx.sim.client() as xs:
        check(xs.get_perms("/") == ["n0"], "root perms %r"
              % xs.get_perms("/"))
        xs.mkdir("/perm")
        xs.set_perms("/perm", ["b3", "r5", "w0x10", "n-1"])
        check(xs.get_perms("/perm") == ["b3", "r5", "w16", "n-1"],
              "normalised perms %r" % xs.get_perms("/perm"))
        xs.write("/perm/x/y/z", b"v")
        for path in ("/perm/x", "/perm/x/y", "/perm/x/y/z"):
            check(xs.get_perms(path) == ["b3", "r5", "w16", "n-1"],
                  "%s inherited %r" % (path, xs.get_perms(path)))
            check(path == "/perm/x/y/z" or xs.read(path) == b"",
                  "implicit parent %s not empty" % path)
        for bad in (["x1"], ["r"], ["r1x"], ["0"], [""]):
            expect_error("EINVAL", xs.set_perms, "/perm", bad)
        expect_error("EINVAL", xs.request, xsclient.XS_SET_PERMS,
                     b"/perm\0")
        expect_error("ENOENT", xs.set_perms, "/perm/none", ["n0"])
        xs.set_perms("@releaseDomain", ["n0"])
        expect_error("EINVAL", xs.set_perms, "@other", ["n0"])
        expect_error("EINVAL", xs.get_perms, "@releaseDomain")


def test_directory_and_mkdir(ctx):
    """directory keeps insertion order; mkdir is idempotent"""
    with ctx.sim.client() as xs:
        for name in ("zeta", "alpha", "mid", "b"):
            xs.write("/dir/" + name, b"1")
        check(xs.directory("/dir") == ["zeta", "alpha", "mid", "b"],
              "order %r" % xs.directory("/dir"))
        xs.rm("/dir/alpha")
        xs.write("/dir/alpha", b"2")
        check(xs.directory("/dir") == ["zeta", "mid", "b", "alpha"],
              "order after re-create %r" % xs.directory("/dir"))
        xs.mkdir("/dir/mk/deep")
        xs.mkdir("/dir/mk/deep")
        check(xs.read("/dir/mk/deep") == b"", "mkdir value")
        xs.write("/dir/mk/deep", b"keep")
        xs.mkdir("/dir/mk/deep")
        check(xs.read("/dir/mk/deep") == b"keep", "mkdir clobbered value")
        check(xs.directory("/dir/mk/deep") == [], "empty directory")
        expect_error("ENOENT", xs.directory, "/dir/none")


def test_rm_semantics(ctx):
    """rm removes subtrees; ENOENT only when the parent is missing"""
    with ctx.sim.client() as xs:
        xs.write("/rmt/a/b/c", b"1")
        xs.write("/rmt/a/d", b"2")
        xs.rm("/rmt/a")
        check(not xs.exists("/rmt/a/b/c"), "grandchild survived")
        check(xs.directory("/rmt") == [], "parent still lists child")
        xs.rm("/rmt/a")                       # gone, parent exists: OK
        expect_error("ENOENT", xs.rm, "/rmt/a/b")
        expect_error("EINVAL", xs.rm, "/")


def test_path_validation(ctx):
    """bad paths get EINVAL, limits as in xenstored"""
    with ctx.sim.client() as xs:
        for bad in ("/a/", "/a//b", "/a b", "/a\tb", "/ä", "", "@foo",
                    "/x" + "y" * 2048):
            expect_error("EINVAL", xs.read, bad)
            expect_error("EINVAL", xs.write, bad, b"v")
        longest = "/" + "p" * 2047
        xs.write(longest, b"v")
        check(xs.read(longest) == b"v", "2048-char path")
        deep = "/local/domain/5/" + "q" * 2048
        xs.write(deep, b"v")
        check(xs.read(deep) == b"v", "2048 chars below a domain home")
        xs.write("/ok-_@/A9", b"v")
        # Two arguments where one is expected.
        expect_error("EINVAL", xs.request, xsclient.XS_READ, b"/a\0/b\0")
        expect_error("EINVAL", xs.request, xsclient.XS_READ, b"/tool")
        expect_error("EINVAL", xs.request, xsclient.XS_WRITE, b"/novalue")


def test_relative_paths(ctx):
    """relative paths are below /local/domain/0"""
    with ctx.sim.client() as xs:
        xs.write("relnode/x", b"r")
        check(xs.read("/local/domain/0/relnode/x") == b"r", "absolute read")
        check(xs.read("relnode/x") == b"r", "relative read")
        check(xs.directory("relnode") == ["x"], "relative directory")


def test_wire_details(ctx):
    """replies echo req_id/tx_id; unknown ops ENOSYS; bad tx ENOENT"""
    data = (message(xsclient.XS_READ, b"/tool\0", req_id=77) +
            message(99, b"", req_id=78) +
            message(20, b"", req_id=79) +
            message(xsclient.XS_READ, b"/tool\0", req_id=80, tx_id=4242) +
            message(xsclient.XS_WATCH_EVENT, b"/a\0t\0", req_id=81))
    replies = raw_exchange(ctx.sim.sock, data)
    check(len(replies) == 5, "got %d replies" % len(replies))
    check(replies[0] == (xsclient.XS_READ, 77, 0, b""), repr(replies[0]))
    check(replies[1] == (xsclient.XS_ERROR, 78, 0, b"ENOSYS\0"),
          repr(replies[1]))
    check(replies[2] == (xsclient.XS_ERROR, 79, 0, b"ENOSYS\0"),
          repr(replies[2]))
    check(replies[3] == (xsclient.XS_ERROR, 80, 4242, b"ENOENT\0"),
          repr(replies[3]))
    check(replies[4][0] == xsclient.XS_ERROR, repr(replies[4]))
    with ctx.sim.client() as xs:
        tx = xs.transaction_start()
        reply = raw_exchange(ctx.sim.sock, message(xsclient.XS_READ,
                                                   b"/tool\0", 5, tx))
        check(reply[0][3] == b"ENOENT\0",
              "transaction ids are per connection: %r" % (reply,))
        xs.transaction_end(tx, commit=False)


def test_watch_basics(ctx):
    """watches fire up front, below the path, on implicit creation"""
    with ctx.sim.client() as xs, ctx.sim.client() as other:
        xs.watch("/wb", "tok")
        check(next_event(xs) == ("/wb", "tok"), "initial event")
        other.write("/wb/a/b/c", b"1")
        check(next_event(xs) == ("/wb/a/b/c", "tok"), "implicit create")
        other.write("/wb", b"2")
        check(next_event(xs) == ("/wb", "tok"), "write on watched node")
        other.write("/wbx", b"sibling prefix, not below")
        other.write("/other", b"unrelated")
        other.mkdir("/wb/a")                  # exists: no event
        other.set_perms("/wb/a", ["n0", "r4"])
        check(next_event(xs) == ("/wb/a", "tok"), "set_perms event")
        no_event(xs, "/wb/settle")
        check(other.drain_events() == [], "events leaked to other client")
        expect_error("EEXIST", xs.watch, "/wb", "tok")
        xs.watch("/wb", "tok2")                # same path, new token
        check(next_event(xs) == ("/wb", "tok2"), "second token")
        xs.unwatch("/wb", "tok2")
        expect_error("ENOENT", xs.unwatch, "/wb", "tok2")
        expect_error("EINVAL", xs.watch, "/bad/", "t")
        other.write("/wb/after", b"1")
        check(next_event(xs) == ("/wb/after", "tok"), "after unwatch")
        check(xs.drain_events() == [], "unwatched token still fires")


def test_watch_rm(ctx):
    """rm fires on the root and exactly on watched nodes inside it"""
    with ctx.sim.client() as xs, ctx.sim.client() as other:
        other.write("/wr/x/y/z", b"1")
        other.write("/wr/q", b"1")
        xs.watch("/wr", "top")
        xs.watch("/wr/x/y", "inner")
        xs.watch("/wr/x/nonexistent", "ghost")
        initial = {next_event(xs) for _ in range(3)}
        check(initial == {("/wr", "top"), ("/wr/x/y", "inner"),
                          ("/wr/x/nonexistent", "ghost")},
              "initial events %r" % initial)
        other.rm("/wr")
        got = [next_event(xs), next_event(xs)]
        check(got == [("/wr/x/y", "inner"), ("/wr", "top")],
              "rm events %r" % got)
        xs.watch("/settle", "s")
        check(next_event(xs) == ("/settle", "s"), "no further rm events")
        other.rm("/wr")                   # already gone: nothing fires
        other.write("/settle", b"1")
        check(next_event(xs) == ("/settle", "s"), "rm of missing node fired")


def test_watch_relative_and_special(ctx):
    """relative watches report relative paths; "/" sees special events"""
    with ctx.sim.client() as xs, ctx.sim.client() as other:
        xs.watch("relw", "rel")
        check(next_event(xs) == ("relw", "rel"), "relative initial event")
        other.write("/local/domain/0/relw/k", b"1")
        check(next_event(xs) == ("relw/k", "rel"), "relative event path")
        xs.unwatch("relw", "rel")
        xs.watch("/", "root")
        check(next_event(xs) == ("/", "root"), "root initial event")
        other.introduce_domain(31)
        check(next_event(xs) == ("@introduceDomain", "root"),
              "watch on / and @introduceDomain (as C xenstored)")
        other.release_domain(31)
        check(next_event(xs) == ("@releaseDomain", "root"),
              "watch on / and @releaseDomain")
        xs.reset_watches()
        other.write("/after-reset", b"1")
        xs.watch("/after-reset", "x")
        check(next_event(xs) == ("/after-reset", "x"),
              "reset_watches kept old watches")


def test_transactions(ctx):
    """transactions isolate, commit atomically, conflict with EAGAIN"""
    with ctx.sim.client() as xs, ctx.sim.client() as other:
        other.watch("/tx", "w")
        check(next_event(other) == ("/tx", "w"), "initial")
        tx = xs.transaction_start()
        xs.write("/tx/a", b"1", tx)
        xs.write("/tx/b/c", b"2", tx)
        check(xs.read("/tx/a", tx) == b"1", "tx sees its write")
        check(xs.directory("/tx", tx) == ["a", "b"], "tx directory")
        check(not other.exists("/tx/a"), "uncommitted write visible")
        check(other.drain_events() == [], "watch fired before commit")
        expect_error("EBUSY", xs.request, xsclient.XS_TRANSACTION_START,
                     b"\0", tx)
        check(xs.transaction_end(tx), "commit failed")
        check(other.read("/tx/b/c") == b"2", "committed value")
        got = {next_event(other), next_event(other)}
        check(got == {("/tx/a", "w"), ("/tx/b/c", "w")},
              "commit events %r" % got)
        expect_error("ENOENT", xs.transaction_end, tx)

        # Abort discards.
        tx = xs.transaction_start()
        xs.rm("/tx/a", tx)
        xs.write("/tx/gone", b"x", tx)
        check(xs.transaction_end(tx, commit=False), "abort")
        check(other.read("/tx/a") == b"1" and not other.exists("/tx/gone"),
              "abort leaked changes")

        # Conflict on a node read in the transaction.
        tx = xs.transaction_start()
        xs.read("/tx/a", tx)
        xs.write("/tx/result", b"derived", tx)
        other.write("/tx/a", b"changed")
        check(not xs.transaction_end(tx), "conflict not detected")
        check(not other.exists("/tx/result"), "conflicting tx applied")
        expect_error("ENOENT", xs.transaction_end, tx)

        # Conflict on a node that did not exist when first looked at.
        tx = xs.transaction_start()
        check(not xs.exists("/tx/new", tx), "new exists")
        other.write("/tx/new", b"1")
        xs.write("/tx/flag", b"1", tx)
        check(not xs.transaction_end(tx), "creation conflict not detected")

        # Transactions touching different existing nodes both commit.
        tx1 = xs.transaction_start()
        tx2 = other.transaction_start()
        xs.write("/tx/a", b"one", tx1)
        other.write("/tx/new", b"two", tx2)
        check(other.transaction_end(tx2), "tx2")
        check(xs.transaction_end(tx1), "tx1")
        check(other.read("/tx/a") == b"one", "tx1 value")

        # Creating a child changes the parent's child list, so a concurrent
        # transaction that also added a child there conflicts (as in
        # xenstored).
        tx1 = xs.transaction_start()
        tx2 = other.transaction_start()
        xs.write("/tx/one", b"1", tx1)
        other.write("/tx/two", b"2", tx2)
        other.rm("/tx/b", tx2)
        check(other.transaction_end(tx2), "tx2 with rm")
        check(not xs.transaction_end(tx1), "sibling creation must conflict")
        check(not xs.exists("/tx/b/c"), "rm in transaction")
        check(not xs.exists("/tx/one"), "conflicting creation applied")
        expect_error("EINVAL", xs.request, xsclient.XS_TRANSACTION_END,
                     b"X\0", xs.transaction_start())


def test_transaction_isolation_between_open(ctx):
    """two open transactions on one connection stay separate"""
    with ctx.sim.client() as xs:
        tx1 = xs.transaction_start()
        tx2 = xs.transaction_start()
        check(tx1 != tx2 and tx1 and tx2, "ids %d %d" % (tx1, tx2))
        xs.write("/iso/v", b"1", tx1)
        check(not xs.exists("/iso/v", tx2), "tx2 sees tx1")
        check(xs.transaction_end(tx1), "commit tx1")
        check(xs.transaction_end(tx2, commit=False), "abort tx2")
        check(xs.read("/iso/v") == b"1", "value")


def test_domains(ctx):
    """introduce/release/is_introduced and their special watches"""
    with ctx.sim.client() as xs, ctx.sim.client() as other:
        check(xs.is_domain_introduced(0), "dom0 introduced")
        check(not xs.is_domain_introduced(5), "dom5 introduced early")
        xs.watch("@introduceDomain", "in")
        xs.watch("@releaseDomain", "out")
        check(next_event(xs) == ("@introduceDomain", "in"), "initial in")
        check(next_event(xs) == ("@releaseDomain", "out"), "initial out")
        other.introduce_domain(5, mfn=1234, port=7)
        check(next_event(xs) == ("@introduceDomain", "in"), "introduce")
        check(xs.is_domain_introduced(5), "dom5 not introduced")
        check(not xs.exists("/local/domain/5/whatever"), "sanity")
        other.introduce_domain(5)               # again: no event
        other.release_domain(5)
        check(next_event(xs) == ("@releaseDomain", "out"), "release")
        check(not xs.is_domain_introduced(5), "dom5 still introduced")
        expect_error("ENOENT", other.release_domain, 5)
        expect_error("EINVAL", other.release_domain, 0)
        expect_error("EINVAL", other.introduce_domain, 6, 0, 0)
        check(xs.get_domain_path(12) == "/local/domain/12", "domain path")
        check(xs.is_domain_introduced(0x7FF0), "DOMID_SELF")
        check(xs.drain_events() == [], "extra domain events")


def test_directory_part(ctx):
    """big directories: DIRECTORY gives E2BIG, DIRECTORY_PART pages"""
    names = ["child-%04d-%s" % (i, "n" * 20) for i in range(400)]
    with ctx.sim.client() as xs:
        for name in names:
            xs.write("/big/" + name, b"")
        expect_error("E2BIG", xs.directory, "/big")
        collected, offset, gens = [], 0, set()
        while True:
            gen, part, complete = xs.directory_part("/big", offset)
            gens.add(gen)
            collected += part
            offset += sum(len(n) + 1 for n in part)
            if complete:
                break
            check(part, "empty incomplete chunk")
        check(collected == names, "paged listing differs")
        check(len(gens) == 1, "generation changed: %r" % gens)
        check(xs.directory_part("/big", 10 ** 6)[1:] == ([], True),
              "offset past the end")
        check(xs.directory_part("/tool/xenstored", 0)[1:] == ([], True),
              "empty node")
        xs.write("/big/extra", b"")
        check(xs.directory_part("/big", 0)[0] not in gens,
              "generation did not change after adding a child")


def test_robustness(ctx):
    """bad clients are dropped without hurting the server"""
    def connected():
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.connect(ctx.sim.sock)
        return sock

    with ctx.sim.client() as xs:
        # Oversized payload length: connection dropped.
        bad = connected()
        bad.sendall(HEADER.pack(xsclient.XS_READ, 0, 0, 100000) + b"x" * 64)
        bad.settimeout(5)
        try:
            closed = bad.recv(100) == b""
        except ConnectionResetError:        # unread data makes it a reset
            closed = True
        check(closed, "oversized message not disconnected")
        bad.close()
        # Half a header, then gone; half a payload, then gone.
        for junk in (b"\x01\x02\x03", message(xsclient.XS_WRITE,
                                              b"/a\0" + b"v" * 50)[:30]):
            sock = connected()
            sock.sendall(junk)
            sock.close()
        # Random garbage.
        rng = random.Random(1)
        for _ in range(5):
            sock = connected()
            sock.sendall(bytes(rng.randrange(256) for _ in range(300)))
            sock.close()
        # Reply too large for one message (a 4096-byte value read back).
        xs.write("/robust/full", b"z" * (4096 - len("/robust/full") - 1))
        check(len(xs.read("/robust/full")) == 4096 - 13, "max value")
        check(xs.read("/tool/xenstored") == b"", "server unhealthy")
    check(ctx.sim.alive(), "simulator died")


def test_concurrent_clients(ctx):
    """many clients interleaving requests"""
    clients = [ctx.sim.client() for _ in range(20)]
    try:
        for round_ in range(20):
            for index, xs in enumerate(clients):
                xs.write("/conc/%d" % index, b"%d" % round_)
            for index, xs in enumerate(clients):
                peer = (index + 1) % len(clients)
                check(xs.read("/conc/%d" % peer) == b"%d" % round_,
                      "stale value")
        # A pipelined burst on one raw socket.
        burst = b"".join(message(xsclient.XS_READ, b"/conc/3\0", req_id=i)
                         for i in range(500))
        replies = raw_exchange(ctx.sim.sock, burst)
        check([r[1] for r in replies] == list(range(500)), "reply order")
        check(all(r[3] == b"19" for r in replies), "burst values")
    finally:
        for xs in clients:
            xs.close()


def test_performance(ctx):
    """60,000 nodes; sequential reads stay fast"""
    with ctx.sim.client(timeout=30) as xs:
        # Pipelined population (the writes themselves are not measured).
        paths = []
        payload = []
        for dom in range(1000):
            for leaf in range(28):          # 59 nodes per domain
                path = "/perf/%d/device/vif/%d/state" % (dom, leaf)
                paths.append(path)
                payload.append(message(xsclient.XS_WRITE,
                                       path.encode() + b"\0" + b"4"))
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.connect(ctx.sim.sock)
            for start in range(0, len(payload), 2000):
                chunk = payload[start:start + 2000]
                sock.sendall(b"".join(chunk))
                replies = read_messages(sock, len(chunk), 60)
                check(all(r[3] == b"OK\0" for r in replies), "write failed")
        node_count = len({path[:end] for path in paths
                          for end in range(1, len(path) + 1)
                          if end == len(path) or path[end] == "/"})
        rng = random.Random(7)
        sample = [rng.choice(paths) for _ in range(20000)]
        begin = time.perf_counter()
        for path in sample:
            xs.read(path)
        per_read = (time.perf_counter() - begin) / len(sample) * 1e6
        begin = time.perf_counter()
        tx = xs.transaction_start()
        xs.read(paths[0], tx)
        xs.transaction_end(tx)
        tx_ms = (time.perf_counter() - begin) * 1e3
        print("# %d nodes; %.1f us per sequential read round trip "
              "(client included); transaction %.2f ms"
              % (node_count, per_read, tx_ms))
        check(per_read < 500, "reads too slow: %.1f us" % per_read)
        check(tx_ms < 50, "transaction start/end too slow: %.1f ms" % tx_ms)
        xs.rm("/perf")
        check(not xs.exists("/perf/999/device"), "rm of a big subtree")


# ---------------------------------------------------------------------------
# Tests using the xenstore-* command line tools
# ---------------------------------------------------------------------------

def tools_missing():
    for tool in ("xenstore-read", "xenstore-write", "xenstore-ls",
                 "xenstore-watch"):
        if shutil.which(tool) is None:
            return "%s not installed" % tool
    return None


def test_cli_tools(ctx):
    """xenstore-write/read/ls/list/exists/rm/chmod via XENSTORED_PATH"""
    tool_ok(ctx, "xenstore-write", "/cli/a/b", "hello", "/cli/c", "x y")
    check(tool_ok(ctx, "xenstore-read", "/cli/a/b") == "hello\n", "read")
    check(tool_ok(ctx, "xenstore-list", "/cli") == "a\nc\n", "list")
    listing = tool_ok(ctx, "xenstore-ls", "/cli")
    check(listing == 'a = ""\n b = "hello"\nc = "x y"\n',
          "ls output %r" % listing)
    listing = tool_ok(ctx, "xenstore-ls", "-f", "/cli")
    check("/cli/a/b = \"hello\"" in listing, "ls -f %r" % listing)
    check(run_tool(ctx, "xenstore-exists", "/cli/a").returncode == 0,
          "exists")
    check(run_tool(ctx, "xenstore-exists", "/cli/zz").returncode != 0,
          "exists on missing")
    tool_ok(ctx, "xenstore-chmod", "/cli/a", "n0", "r7")
    with ctx.sim.client() as xs:
        check(xs.get_perms("/cli/a") == ["n0", "r7"], "chmod")
        xs.write("/cli/bin", b"\x01\xff")
    check(tool_ok(ctx, "xenstore-read", "/cli/bin") == "\\001\\xff\n",
          "xenstore-read escapes binary")
    listing = tool_ok(ctx, "xenstore-ls", "-p", "/cli/a")
    check("(n0,r7)" not in listing and "(n0)" in listing,
          "ls -p shows child perms %r" % listing)
    tool_ok(ctx, "xenstore-rm", "/cli/a")
    check(run_tool(ctx, "xenstore-read", "/cli/a/b").returncode != 0,
          "rm")
    check(run_tool(ctx, "xenstore-read", "/cli/nope").returncode != 0,
          "read of missing succeeded")
    full = tool_ok(ctx, "xenstore-ls", "/")
    check("tool = \"\"" in full, "ls / %r" % full[:200])


def test_cli_watch(ctx):
    """xenstore-watch reports the initial event and changes"""
    proc = subprocess.Popen(["xenstore-watch", "-n", "3", "/cliw"],
                            env=ctx.sim.env(), stdout=subprocess.PIPE)
    try:
        lines = LineReader(proc.stdout)
        check(lines.readline(10) == "/cliw", "initial event")
        with ctx.sim.client() as xs:
            xs.write("/cliw/x", b"1")
            check(lines.readline(10) == "/cliw/x", "event for write")
            xs.rm("/cliw")
            check(lines.readline(10) == "/cliw", "event for rm")
        check(proc.wait(10) == 0, "xenstore-watch exit status")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


# ---------------------------------------------------------------------------
# The libxenstore C client
# ---------------------------------------------------------------------------

C_CHECKS = [
    "open", "write-read-binary", "read-missing", "directory-order",
    "directory-large", "get-permissions", "set-permissions",
    "watch-initial", "watch-event", "watch-other-handle", "watch-rm",
    "transaction-isolation", "transaction-commit", "transaction-conflict",
    "transaction-abort", "domain0-introduced", "introduce-event",
    "domain-introduced", "release-event", "domain-released",
    "domain-path", "relative-path", "mkdir-rm",
]

C_SOURCE = r"""
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xenstore.h>

static int failures;

static void result(const char *name, bool ok, const char *detail)
{
    if (ok)
        printf("PASS %s\n", name);
    else {
        printf("FAIL %s %s (errno %d)\n", name, detail, errno);
        failures++;
    }
    fflush(stdout);
}

static long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Wait (poll on xs_fileno) until an event with this path and token shows
 * up; other events are skipped. */
static bool wait_event(struct xs_handle *h, const char *path,
                       const char *token, int timeout_ms)
{
    long deadline = now_ms() + timeout_ms;

    for (;;) {
        char **vec;
        struct pollfd pfd;
        long left;

        while ((vec = xs_check_watch(h)) != NULL) {
            bool match = !strcmp(vec[XS_WATCH_PATH], path) &&
                         !strcmp(vec[XS_WATCH_TOKEN], token);
            free(vec);
            if (match)
                return true;
        }
        left = deadline - now_ms();
        if (left <= 0)
            return false;
        pfd.fd = xs_fileno(h);
        pfd.events = POLLIN;
        poll(&pfd, 1, (int)left);
    }
}

static bool read_equals(struct xs_handle *h, xs_transaction_t t,
                        const char *path, const char *want)
{
    unsigned int len;
    char *value = xs_read(h, t, path, &len);
    bool ok = value && len == strlen(want) && !memcmp(value, want, len);

    free(value);
    return ok;
}

int main(void)
{
    struct xs_handle *h = xs_open(0), *h2 = xs_open(0);
    static const char binary[] = { 'a', 0, (char)0xff, '\n', 1 };
    struct xs_permissions *perms, newperms[2];
    unsigned int len, num, i;
    char **dir, *value, path[256];
    xs_transaction_t t;
    bool ok;

    result("open", h && h2, "xs_open(0)");
    if (!h || !h2)
        return 1;

    ok = xs_write(h, XBT_NULL, "/c/bin", binary, sizeof(binary));
    value = xs_read(h, XBT_NULL, "/c/bin", &len);
    result("write-read-binary", ok && value && len == sizeof(binary) &&
           !memcmp(value, binary, len) && value[len] == 0, "binary value");
    free(value);

    value = xs_read(h, XBT_NULL, "/c/missing", &len);
    result("read-missing", !value && errno == ENOENT, "missing node");

    xs_write(h, XBT_NULL, "/c/dir/b", "1", 1);
    xs_write(h, XBT_NULL, "/c/dir/a", "2", 1);
    xs_write(h, XBT_NULL, "/c/dir/c", "3", 1);
    dir = xs_directory(h, XBT_NULL, "/c/dir", &num);
    result("directory-order", dir && num == 3 && !strcmp(dir[0], "b") &&
           !strcmp(dir[1], "a") && !strcmp(dir[2], "c"), "xs_directory");
    free(dir);

    for (i = 0; i < 300; i++) {
        snprintf(path, sizeof(path),
                 "/c/large/entry-with-a-rather-long-name-%04u", i);
        xs_write(h, XBT_NULL, path, "", 0);
    }
    dir = xs_directory(h, XBT_NULL, "/c/large", &num);
    ok = dir && num == 300;
    for (i = 0; ok && i < num; i++) {
        snprintf(path, sizeof(path), "entry-with-a-rather-long-name-%04u", i);
        ok = !strcmp(dir[i], path);
    }
    result("directory-large", ok, "xs_directory over DIRECTORY_PART");
    free(dir);

    perms = xs_get_permissions(h, XBT_NULL, "/c/dir", &num);
    result("get-permissions", perms && num == 1 && perms[0].id == 0 &&
           perms[0].perms == XS_PERM_NONE, "default perms");
    free(perms);

    newperms[0].id = 0;
    newperms[0].perms = XS_PERM_NONE;
    newperms[1].id = 5;
    newperms[1].perms = XS_PERM_READ;
    ok = xs_set_permissions(h, XBT_NULL, "/c/dir", newperms, 2);
    perms = xs_get_permissions(h, XBT_NULL, "/c/dir", &num);
    result("set-permissions", ok && perms && num == 2 && perms[1].id == 5 &&
           perms[1].perms == XS_PERM_READ, "set/get perms");
    free(perms);

    ok = xs_watch(h, "/c/w", "tok");
    result("watch-initial", ok && wait_event(h, "/c/w", "tok", 5000),
           "initial watch event");
    xs_write(h, XBT_NULL, "/c/w/x", "1", 1);
    result("watch-event", wait_event(h, "/c/w/x", "tok", 5000),
           "event for own write");
    xs_write(h2, XBT_NULL, "/c/w/y", "1", 1);
    result("watch-other-handle", wait_event(h, "/c/w/y", "tok", 5000),
           "event for another connection's write");
    xs_rm(h2, XBT_NULL, "/c/w");
    result("watch-rm", wait_event(h, "/c/w", "tok", 5000), "event for rm");

    t = xs_transaction_start(h);
    ok = t && xs_write(h, t, "/c/tx", "1", 1);
    value = xs_read(h2, XBT_NULL, "/c/tx", &len);
    result("transaction-isolation", ok && !value && errno == ENOENT &&
           read_equals(h, t, "/c/tx", "1"), "uncommitted write");
    free(value);
    ok = xs_transaction_end(h, t, false);
    result("transaction-commit", ok && read_equals(h2, XBT_NULL, "/c/tx", "1"),
           "commit");

    t = xs_transaction_start(h);
    read_equals(h, t, "/c/tx", "1");
    xs_write(h2, XBT_NULL, "/c/tx", "2", 1);
    xs_write(h, t, "/c/tx", "3", 1);
    ok = xs_transaction_end(h, t, false);
    result("transaction-conflict", !ok && errno == EAGAIN &&
           read_equals(h, XBT_NULL, "/c/tx", "2"), "EAGAIN expected");

    t = xs_transaction_start(h);
    xs_write(h, t, "/c/aborted", "1", 1);
    ok = xs_transaction_end(h, t, true);
    value = xs_read(h, XBT_NULL, "/c/aborted", &len);
    result("transaction-abort", ok && !value, "abort");
    free(value);

    result("domain0-introduced", xs_is_domain_introduced(h, 0), "dom0");
    xs_watch(h, "@introduceDomain", "in");
    xs_watch(h, "@releaseDomain", "out");
    wait_event(h, "@introduceDomain", "in", 5000);
    wait_event(h, "@releaseDomain", "out", 5000);
    ok = xs_introduce_domain(h2, 9, 4321, 3);
    result("introduce-event", ok && wait_event(h, "@introduceDomain", "in",
                                               5000), "@introduceDomain");
    result("domain-introduced", xs_is_domain_introduced(h, 9), "dom9");
    ok = xs_release_domain(h2, 9);
    result("release-event", ok && wait_event(h, "@releaseDomain", "out",
                                             5000), "@releaseDomain");
    result("domain-released", !xs_is_domain_introduced(h, 9), "dom9 gone");

    value = xs_get_domain_path(h, 9);
    result("domain-path", value && !strcmp(value, "/local/domain/9"),
           "xs_get_domain_path");
    free(value);

    ok = xs_write(h, XBT_NULL, "crel", "r", 1);
    result("relative-path", ok &&
           read_equals(h2, XBT_NULL, "/local/domain/0/crel", "r"),
           "relative write");

    ok = xs_mkdir(h, XBT_NULL, "/c/mk/a") && xs_rm(h, XBT_NULL, "/c/mk");
    value = xs_read(h, XBT_NULL, "/c/mk/a", &len);
    result("mkdir-rm", ok && !value && errno == ENOENT, "mkdir then rm");
    free(value);

    xs_close(h2);
    xs_close(h);
    return failures ? 1 : 0;
}
"""


def compiler():
    for name in ("cc", "gcc", "clang"):
        found = shutil.which(name)
        if found:
            return found
    return None


def test_c_build(ctx):
    """C client against libxenstore compiles"""
    cc = compiler()
    if cc is None:
        ctx.c_skip = "no C compiler"
        return "SKIP no C compiler"
    if not os.path.exists("/usr/include/xenstore.h"):
        ctx.c_skip = "xenstore.h not installed"
        return "SKIP xenstore.h not installed"
    source = os.path.join(ctx.tmpdir, "xs_c_client.c")
    program = os.path.join(ctx.tmpdir, "xs_c_client")
    with open(source, "w", encoding="ascii") as f:
        f.write(C_SOURCE)
    result = subprocess.run([cc, "-Wall", "-o", program, source,
                             "-lxenstore"], capture_output=True, timeout=120)
    if result.returncode != 0:
        ctx.c_skip = "build failed"
        raise Failure("compile failed:\n" + result.stderr.decode())
    ctx.c_program = program
    return None


def run_c_program(ctx):
    if ctx.c_results is not None or ctx.c_program is None:
        return
    ctx.c_results = {}
    try:
        result = subprocess.run([ctx.c_program], env=ctx.sim.env(),
                                capture_output=True, timeout=60)
        output = result.stdout.decode("utf-8", "replace")
    except subprocess.TimeoutExpired as err:
        output = (err.stdout or b"").decode("utf-8", "replace")
    for line in output.splitlines():
        word, _, rest = line.partition(" ")
        name, _, detail = rest.partition(" ")
        if word in ("PASS", "FAIL"):
            ctx.c_results[name] = (word == "PASS", detail)


def make_c_test(name):
    def test(ctx):
        if ctx.c_program is None:
            return "SKIP %s" % (ctx.c_skip or "no C program")
        run_c_program(ctx)
        passed, detail = ctx.c_results.get(name, (False, "no result"))
        check(passed, detail)
        return None
    test.__doc__ = "libxenstore: %s" % name
    return test


# ---------------------------------------------------------------------------
# Persistence and shutdown (run last, on their own simulator)
# ---------------------------------------------------------------------------

def test_watch_quota(ctx):
    """--watch-quota refuses a connection's watches beyond it (EQUOTA)"""
    sim = Simulator(ctx.tmpdir, "quota", watch_quota=2)
    sim.start()
    try:
        with sim.client() as xs, sim.client() as other:
            xs.watch("/q/a", "t")
            xs.watch("@releaseDomain", "t")
            expect_error("EQUOTA", xs.watch, "/q/b", "t")
            other.watch("/q/b", "t")        # a quota per connection
            xs.unwatch("/q/a", "t")
            xs.watch("/q/b", "t")           # room again
        with open(sim.logfile, encoding="utf-8") as f:
            check("watch quota 2 reached: /q/b refused (1 so far)" in f.read(),
                  "the refusal logged")
    finally:
        sim.stop()


def test_state_persistence(ctx):
    """--state keeps tree, perms, order and domains across a restart"""
    state = os.path.join(ctx.tmpdir, "state.json")
    sim = Simulator(ctx.tmpdir, "persist", state=state)
    sim.start()
    try:
        with sim.client() as xs:
            xs.write("/keep/bin", b"\x00\xff\x1b binary")
            for name in ("z", "a", "m"):
                xs.write("/keep/order/" + name, name.encode())
            xs.set_perms("/keep/order", ["n0", "r3"])
            xs.introduce_domain(7)
        check(sim.stop() == 0, "exit status after SIGTERM")
        with open(state, encoding="ascii") as f:
            check(json.load(f)["domains"] == [7], "domains in state file")
        check(not os.path.exists(state + ".tmp.%d" % sim.proc.pid),
              "temporary state file left behind")
        sim.start()
        with sim.client() as xs:
            check(xs.read("/keep/bin") == b"\x00\xff\x1b binary", "value")
            check(xs.directory("/keep/order") == ["z", "a", "m"], "order")
            check(xs.get_perms("/keep/order") == ["n0", "r3"], "perms")
            check(xs.is_domain_introduced(7), "domain 7 lost")
            check(xs.read("/tool/xenstored") == b"", "initial nodes")
    finally:
        sim.stop()


def test_clean_shutdown(ctx):
    """SIGTERM stops the main simulator cleanly and removes its files"""
    check(ctx.sim.alive(), "simulator not running before shutdown")
    with ctx.sim.client() as xs:
        xs.watch("/", "held")                 # an open client is fine
        check(ctx.sim.stop() == 0, "exit status")
    check(not os.path.exists(ctx.sim.sock), "socket left behind")
    check(not os.path.exists(ctx.sim.pidfile), "pidfile left behind")


TESTS = [
    test_startup, test_binary_values, test_implicit_parents_and_perms,
    test_directory_and_mkdir, test_rm_semantics, test_path_validation,
    test_relative_paths, test_wire_details, test_watch_basics,
    test_watch_rm, test_watch_relative_and_special, test_transactions,
    test_transaction_isolation_between_open, test_domains,
    test_directory_part, test_robustness, test_concurrent_clients,
    test_performance, test_cli_tools, test_cli_watch, test_c_build,
] + [make_c_test(name) for name in C_CHECKS] + [
    test_watch_quota, test_state_persistence, test_clean_shutdown,
]

NEEDS_TOOLS = (test_cli_tools, test_cli_watch)


def main():
    tmpdir = tempfile.mkdtemp(prefix="xenstored-sim-test.")
    ctx = Context(tmpdir)
    failed = 0
    print("1..%d" % len(TESTS), flush=True)
    try:
        for number, test in enumerate(TESTS, 1):
            name = (test.__doc__ or test.__name__).strip().splitlines()[0]
            try:
                missing = tools_missing() if test in NEEDS_TOOLS else None
                if missing:
                    outcome = "SKIP " + missing
                elif test is not test_startup and not ctx.sim.alive() \
                        and test is not test_state_persistence:
                    raise Failure("simulator is not running")
                else:
                    outcome = test(ctx)
            except Failure as err:
                outcome = err
            except Exception:               # a bug in the test or a crash
                outcome = Failure(traceback.format_exc())
            if isinstance(outcome, Failure):
                failed += 1
                print("not ok %d - %s" % (number, name))
                for line in str(outcome).splitlines():
                    print("#   " + line)
            elif isinstance(outcome, str) and outcome.startswith("SKIP"):
                print("ok %d - %s # SKIP%s" % (number, name, outcome[4:]))
            else:
                print("ok %d - %s" % (number, name))
            sys.stdout.flush()
    finally:
        ctx.sim.stop()
        if failed:
            print("# simulator log tail:\n# " +
                  ctx.sim.log_tail().replace("\n", "\n# "))
            print("# files kept in %s" % tmpdir)
        else:
            shutil.rmtree(tmpdir, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
