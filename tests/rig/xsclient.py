#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""Minimal xenstore client for test rigs (module and command line).

Speaks the xenstored unix-socket protocol directly, so it needs neither
libxenstore nor the xenstore-* tools.  Values are bytes; paths are str.

Module use:
    with XsClient("/tmp/rig/xenstored.sock") as xs:
        xs.write("/local/domain/5/name", b"guest")
        xs.watch("/local/domain", "tok")
        event = xs.wait_event(timeout=5)      # ("/local/domain", "tok")

Command line (socket from --socket or $XENSTORED_PATH):
    xsclient.py [--socket S] [--timeout SEC] COMMAND ...
    read PATH [--raw]          print the value (with a newline unless --raw)
    write PATH VALUE           or write PATH --hex HEX | --stdin (any bytes)
    mkdir PATH | rm PATH
    ls PATH [-r]               child names (-r: full paths, recursively)
    exists PATH                exit status 0 if present, 1 if not
    getperms PATH | setperms PATH PERM...
    introduce DOMID [--mfn N] [--port N] | release DOMID
    introduced DOMID           print T or F; exit status 0 for T, 1 for F
    domain-path DOMID
    watch PATH [--token T] [--count N]   print "path token" per event until
                               N events (else until --timeout) have passed
    wait PATH [--value V | --absent]     block until the node matches
Exit status: 0 success, 1 xenstore error (or "no"), 2 usage/connection
problem or timeout.
"""

import argparse
import collections
import contextlib
import errno
import os
import select
import socket
import sys
import time

from xs_wire import (  # noqa: E402
    XS_DIRECTORY, XS_READ, XS_GET_PERMS,
    XS_WATCH, XS_UNWATCH, XS_TRANSACTION_START,
    XS_TRANSACTION_END, XS_INTRODUCE, XS_RELEASE,
    XS_GET_DOMAIN_PATH, XS_WRITE, XS_MKDIR,
    XS_RM, XS_SET_PERMS, XS_WATCH_EVENT,
    XS_ERROR, XS_IS_DOMAIN_INTRODUCED, XS_RESUME,
    XS_RESET_WATCHES, XS_DIRECTORY_PART, HEADER)

DEFAULT_SOCKET = "/run/xenstored/socket"

WatchEvent = collections.namedtuple("WatchEvent", "path token")


class XsError(OSError):
    """The daemon answered XS_ERROR; .name is the errno name ("ENOENT")."""

    def __init__(self, name, request=""):
        code = getattr(errno, name, errno.EIO)
        super().__init__(code, "%s%s" % (name, ": " + request if request
                                         else ""))
        self.name = name


class XsTimeout(TimeoutError):
    pass


def _encode_path(path):
    if isinstance(path, bytes):
        return path
    return path.encode("utf-8", "surrogateescape")


def _encode_token(token):
    return token if isinstance(token, bytes) else token.encode(
        "utf-8", "surrogateescape")


def _decode(raw):
    return raw.decode("utf-8", "surrogateescape")


def _deadline(timeout):
    return None if timeout is None else time.monotonic() + timeout


class XsClient:
    """One connection to a xenstore daemon.  Requests are synchronous; watch
    events arriving in between are queued for wait_event()."""

    def __init__(self, path=None, timeout=10.0):
        self.path = path or os.environ.get("XENSTORED_PATH", DEFAULT_SOCKET)
        self.timeout = timeout
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            self.sock.connect(self.path)
        except OSError:
            self.sock.close()
            raise
        self._buf = bytearray()
        self._next_req = 1
        self.events = collections.deque()

    # -- plumbing -----------------------------------------------------------

    def close(self):
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _recv_message(self, deadline):
        """Next (type, req_id, tx_id, payload); XsTimeout at the deadline."""
        while True:
            if len(self._buf) >= HEADER.size:
                mtype, req_id, tx_id, length = HEADER.unpack_from(self._buf)
                end = HEADER.size + length
                if len(self._buf) >= end:
                    payload = bytes(self._buf[HEADER.size:end])
                    del self._buf[:end]
                    return mtype, req_id, tx_id, payload
            wait = None
            if deadline is not None:
                wait = deadline - time.monotonic()
                if wait <= 0:
                    raise XsTimeout("no message from %s" % self.path)
            readable, _, _ = select.select([self.sock], [], [], wait)
            if not readable:
                continue
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("xenstore daemon closed the connection")
            self._buf += data

    def _queue_event(self, payload):
        parts = payload.split(b"\0")
        if len(parts) >= 3:
            self.events.append(WatchEvent(_decode(parts[0]),
                                          _decode(parts[1])))

    def request(self, mtype, payload, tx=0):
        """Send one request and return the reply payload (bytes)."""
        req_id = self._next_req
        self._next_req = (self._next_req + 1) & 0xFFFFFFFF
        self.sock.sendall(HEADER.pack(mtype, req_id, tx, len(payload)) +
                          payload)
        deadline = _deadline(self.timeout)
        while True:
            rtype, rreq, _, reply = self._recv_message(deadline)
            if rtype == XS_WATCH_EVENT:
                self._queue_event(reply)
                continue
            if rreq != req_id:
                # A late reply to an earlier request that timed out.
                continue
            if rtype == XS_ERROR:
                raise XsError(reply.rstrip(b"\0").decode("ascii", "replace"),
                              payload.split(b"\0")[0].decode(
                                  "utf-8", "replace"))
            if rtype != mtype:
                raise ConnectionError("reply type %d to request type %d"
                                      % (rtype, mtype))
            return reply

    @staticmethod
    def _strings(*args):
        return b"".join(_encode_path(a) + b"\0" for a in args)

    # -- nodes --------------------------------------------------------------

    def read(self, path, tx=0):
        return self.request(XS_READ, self._strings(path), tx)

    def write(self, path, value, tx=0):
        if isinstance(value, str):
            value = value.encode("utf-8", "surrogateescape")
        self.request(XS_WRITE, _encode_path(path) + b"\0" + value, tx)

    def mkdir(self, path, tx=0):
        self.request(XS_MKDIR, self._strings(path), tx)

    def rm(self, path, tx=0):
        self.request(XS_RM, self._strings(path), tx)

    def directory(self, path, tx=0):
        reply = self.request(XS_DIRECTORY, self._strings(path), tx)
        return [_decode(n) for n in reply.split(b"\0")[:-1]]

    def directory_part(self, path, offset, tx=0):
        """Raw DIRECTORY_PART: (generation, names, complete)."""
        reply = self.request(XS_DIRECTORY_PART,
                             self._strings(path, str(offset)), tx)
        gen, _, rest = reply.partition(b"\0")
        complete = rest.endswith(b"\0\0") or rest == b"\0"
        names = [_decode(n) for n in rest.split(b"\0") if n]
        return gen.decode("ascii"), names, complete

    def exists(self, path, tx=0):
        try:
            self.read(path, tx)
        except XsError as err:
            if err.name == "ENOENT":
                return False
            raise
        return True

    def get_perms(self, path, tx=0):
        reply = self.request(XS_GET_PERMS, self._strings(path), tx)
        return [_decode(p) for p in reply.split(b"\0")[:-1]]

    def set_perms(self, path, perms, tx=0):
        self.request(XS_SET_PERMS, self._strings(path, *perms), tx)

    def walk(self, path="/", tx=0):
        """(path, value) for path and everything below it, pre-order."""
        stack = [path]
        while stack:
            current = stack.pop()
            yield current, self.read(current, tx)
            prefix = "" if current == "/" else current
            for name in reversed(self.directory(current, tx)):
                stack.append(prefix + "/" + name)

    # -- watches ------------------------------------------------------------

    def watch(self, path, token):
        self.request(XS_WATCH, self._strings(path) +
                     _encode_token(token) + b"\0")

    def unwatch(self, path, token):
        self.request(XS_UNWATCH, self._strings(path) +
                     _encode_token(token) + b"\0")

    def reset_watches(self):
        self.request(XS_RESET_WATCHES, b"")

    def wait_event(self, timeout=None, deadline=None):
        """Next watch event, or None when the time is up.  With neither
        timeout nor deadline, only already received events are returned."""
        if deadline is None and timeout is not None:
            deadline = time.monotonic() + timeout
        while not self.events:
            if deadline is None or time.monotonic() >= deadline:
                self._poll_events()
                break
            try:
                mtype, _, _, payload = self._recv_message(deadline)
            except XsTimeout:
                break
            if mtype == XS_WATCH_EVENT:
                self._queue_event(payload)
        return self.events.popleft() if self.events else None

    def _poll_events(self):
        """Pick up events that already arrived, without blocking."""
        while True:
            readable, _, _ = select.select([self.sock], [], [], 0)
            if not readable:
                break
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("xenstore daemon closed the connection")
            self._buf += data
        while len(self._buf) >= HEADER.size:
            mtype, _, _, length = HEADER.unpack_from(self._buf)
            if len(self._buf) < HEADER.size + length:
                break
            mtype, _, _, payload = self._recv_message(None)
            if mtype == XS_WATCH_EVENT:
                self._queue_event(payload)

    def wait_for(self, predicate, timeout):
        """Wait for an event satisfying predicate(event); returns it or None.
        Events that do not match are dropped."""
        deadline = time.monotonic() + timeout
        while True:
            event = self.wait_event(deadline=deadline)
            if event is None or predicate(event):
                return event

    def drain_events(self):
        """All events received so far (non-blocking)."""
        self._poll_events()
        events = list(self.events)
        self.events.clear()
        return events

    # -- transactions -------------------------------------------------------

    def transaction_start(self):
        return int(self.request(XS_TRANSACTION_START, b"\0").rstrip(b"\0"))

    def transaction_end(self, tx, commit=True):
        """True when committed (or aborted as asked), False on EAGAIN."""
        try:
            self.request(XS_TRANSACTION_END, b"T\0" if commit else b"F\0", tx)
        except XsError as err:
            if err.name == "EAGAIN":
                return False
            raise
        return True

    @contextlib.contextmanager
    def transaction(self):
        """Yields a tx id; commits on normal exit, aborts on exception.
        Raises XsError("EAGAIN") if the commit conflicts."""
        tx = self.transaction_start()
        try:
            yield tx
        except BaseException:
            self.transaction_end(tx, commit=False)
            raise
        if not self.transaction_end(tx, commit=True):
            raise XsError("EAGAIN", "transaction %d" % tx)

    # -- domains ------------------------------------------------------------

    def introduce_domain(self, domid, mfn=0, port=1):
        self.request(XS_INTRODUCE, self._strings(str(domid), str(mfn),
                                                 str(port)))

    def release_domain(self, domid):
        self.request(XS_RELEASE, self._strings(str(domid)))

    def resume_domain(self, domid):
        self.request(XS_RESUME, self._strings(str(domid)))

    def is_domain_introduced(self, domid):
        reply = self.request(XS_IS_DOMAIN_INTRODUCED,
                             self._strings(str(domid)))
        return reply.rstrip(b"\0") == b"T"

    def get_domain_path(self, domid):
        return _decode(self.request(XS_GET_DOMAIN_PATH,
                                    self._strings(str(domid))).rstrip(b"\0"))


def connect(path=None, timeout=10.0):
    return XsClient(path, timeout)


def wait_for_socket(path, timeout=10.0, pidfile=None):
    """Poll until the daemon accepts connections (and pidfile exists)."""
    deadline = time.monotonic() + timeout
    while True:
        if pidfile is None or os.path.exists(pidfile):
            try:
                XsClient(path, timeout=1.0).close()
                return True
            except OSError:
                pass
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.01)


# ---------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------

def _cmd_read(xs, args):
    value = xs.read(args.path)
    sys.stdout.buffer.write(value if args.raw else value + b"\n")
    return 0


def _cmd_write(xs, args):
    given = [args.value is not None, args.hex is not None, args.stdin]
    if given.count(True) != 1:
        raise SystemExit("xsclient: write needs one of VALUE, --hex, --stdin")
    if args.stdin:
        value = sys.stdin.buffer.read()
    elif args.hex is not None:
        value = bytes.fromhex(args.hex)
    else:
        value = args.value.encode("utf-8", "surrogateescape")
    xs.write(args.path, value)
    return 0


def _cmd_ls(xs, args):
    if args.recursive:
        for path, _ in xs.walk(args.path):
            if path != args.path:
                print(path)
    else:
        for name in xs.directory(args.path):
            print(name)
    return 0


def _cmd_watch(xs, args):
    xs.watch(args.path, args.token)
    deadline = time.monotonic() + args.timeout
    seen = 0
    while args.count is None or seen < args.count:
        event = xs.wait_event(deadline=deadline)
        if event is None:
            # Without --count, running until --timeout is the normal end.
            return 0 if args.count is None else 2
        print("%s %s" % (event.path, event.token), flush=True)
        seen += 1
    return 0


def _cmd_wait(xs, args):
    """Block until PATH holds --value (or exists, or with --absent is gone),
    re-checking on every watch event."""
    want = None if args.value is None else args.value.encode(
        "utf-8", "surrogateescape")
    xs.watch(args.path, "xsclient-wait")
    deadline = time.monotonic() + args.timeout
    while True:
        try:
            value = xs.read(args.path)
            present = True
        except XsError as err:
            if err.name != "ENOENT":
                raise
            value, present = None, False
        if args.absent:
            if not present:
                return 0
        elif present and (want is None or value == want):
            return 0
        if xs.wait_event(deadline=deadline) is None:
            return 2


def build_parser():
    parser = argparse.ArgumentParser(
        prog="xsclient.py", description="Small xenstore protocol client.")
    parser.add_argument("--socket", help="daemon socket "
                        "(default: $XENSTORED_PATH or %s)" % DEFAULT_SOCKET)
    parser.add_argument("--timeout", type=float, default=10.0,
                        help="seconds to wait for replies/events")
    sub = parser.add_subparsers(dest="command", required=True)

    cmd = sub.add_parser("read")
    cmd.add_argument("path")
    cmd.add_argument("--raw", action="store_true", help="no newline")
    cmd.set_defaults(func=_cmd_read)

    cmd = sub.add_parser("write")
    cmd.add_argument("path")
    cmd.add_argument("value", nargs="?")
    group = cmd.add_mutually_exclusive_group()
    group.add_argument("--hex", metavar="HEX",
                       help="the value as hex digits (any bytes)")
    group.add_argument("--stdin", action="store_true",
                       help="value is read from stdin")
    cmd.set_defaults(func=_cmd_write)

    for name, method in (("mkdir", "mkdir"), ("rm", "rm")):
        cmd = sub.add_parser(name)
        cmd.add_argument("path")
        cmd.set_defaults(func=lambda xs, a, m=method: getattr(xs, m)(a.path)
                         or 0)

    cmd = sub.add_parser("ls")
    cmd.add_argument("path", nargs="?", default="/")
    cmd.add_argument("-r", "--recursive", action="store_true")
    cmd.set_defaults(func=_cmd_ls)

    cmd = sub.add_parser("exists")
    cmd.add_argument("path")
    cmd.set_defaults(func=lambda xs, a: 0 if xs.exists(a.path) else 1)

    cmd = sub.add_parser("getperms")
    cmd.add_argument("path")
    cmd.set_defaults(func=lambda xs, a: print(" ".join(xs.get_perms(a.path)))
                     or 0)

    cmd = sub.add_parser("setperms")
    cmd.add_argument("path")
    cmd.add_argument("perms", nargs="+")
    cmd.set_defaults(func=lambda xs, a: xs.set_perms(a.path, a.perms) or 0)

    cmd = sub.add_parser("introduce")
    cmd.add_argument("domid", type=int)
    cmd.add_argument("--mfn", type=int, default=0)
    cmd.add_argument("--port", type=int, default=1)
    cmd.set_defaults(func=lambda xs, a: xs.introduce_domain(
        a.domid, a.mfn, a.port) or 0)

    cmd = sub.add_parser("release")
    cmd.add_argument("domid", type=int)
    cmd.set_defaults(func=lambda xs, a: xs.release_domain(a.domid) or 0)

    cmd = sub.add_parser("introduced")
    cmd.add_argument("domid", type=int)

    def _introduced(xs, a):
        answer = xs.is_domain_introduced(a.domid)
        print("T" if answer else "F")
        return 0 if answer else 1
    cmd.set_defaults(func=_introduced)

    cmd = sub.add_parser("domain-path")
    cmd.add_argument("domid", type=int)
    cmd.set_defaults(func=lambda xs, a: print(xs.get_domain_path(a.domid))
                     or 0)

    cmd = sub.add_parser("watch")
    cmd.add_argument("path")
    cmd.add_argument("--token", default="xsclient")
    cmd.add_argument("--count", type=int,
                     help="exit after this many events (the initial one "
                          "included)")
    cmd.set_defaults(func=_cmd_watch)

    cmd = sub.add_parser("wait")
    cmd.add_argument("path")
    group = cmd.add_mutually_exclusive_group()
    group.add_argument("--value")
    group.add_argument("--absent", action="store_true")
    cmd.set_defaults(func=_cmd_wait)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        xs = XsClient(args.socket, timeout=args.timeout)
    except OSError as err:
        print("xsclient: cannot connect to %s: %s" % (
            args.socket or os.environ.get("XENSTORED_PATH", DEFAULT_SOCKET),
            err), file=sys.stderr)
        return 2
    try:
        with xs:
            return args.func(xs, args)
    except XsError as err:
        print("xsclient: %s: %s" % (args.command, err.strerror),
              file=sys.stderr)
        return 1
    except (OSError, TimeoutError) as err:
        print("xsclient: %s: %s" % (args.command, err), file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
