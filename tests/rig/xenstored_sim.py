#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""A small xenstore daemon for test rigs.

It speaks the xenstored unix-socket wire protocol (xen/io/xs_wire.h) so the
real libxenstore and the xenstore-* tools can talk to it when
XENSTORED_PATH points at its socket.  Every connection is treated as a
privileged dom0 connection.

Behaviour follows the C xenstored of Xen 4.17 where it is observable by a
dom0 client: error names, implicit parent creation with inherited
permissions, RM semantics, watch firing rules (including the "exact" rule
for nodes inside a removed subtree), optimistic transactions that fail with
EAGAIN on conflict, DIRECTORY_PART paging and the @introduceDomain /
@releaseDomain special watches.

Usage:
    xenstored_sim.py --socket PATH [--state FILE] [--pidfile FILE]
                     [--log FILE] [--watch-quota N] [--verbose]
"""

import argparse
import base64
import collections
import json
import logging
import os
import re
import selectors
import signal
import socket
import sys
import traceback

from xs_wire import (  # noqa: E402
    XS_CONTROL, XS_DIRECTORY, XS_READ,
    XS_GET_PERMS, XS_WATCH, XS_UNWATCH,
    XS_TRANSACTION_START, XS_TRANSACTION_END, XS_INTRODUCE,
    XS_RELEASE, XS_GET_DOMAIN_PATH, XS_WRITE,
    XS_MKDIR, XS_RM, XS_SET_PERMS,
    XS_WATCH_EVENT, XS_ERROR, XS_IS_DOMAIN_INTRODUCED,
    XS_RESUME, XS_SET_TARGET, XS_RESET_WATCHES,
    XS_DIRECTORY_PART, HEADER, XENSTORE_PAYLOAD_MAX,
    XENSTORE_ABS_PATH_MAX, XENSTORE_REL_PATH_MAX)


TYPE_NAMES = {
    XS_CONTROL: "CONTROL", XS_DIRECTORY: "DIRECTORY", XS_READ: "READ",
    XS_GET_PERMS: "GET_PERMS", XS_WATCH: "WATCH", XS_UNWATCH: "UNWATCH",
    XS_TRANSACTION_START: "TRANSACTION_START",
    XS_TRANSACTION_END: "TRANSACTION_END", XS_INTRODUCE: "INTRODUCE",
    XS_RELEASE: "RELEASE", XS_GET_DOMAIN_PATH: "GET_DOMAIN_PATH",
    XS_WRITE: "WRITE", XS_MKDIR: "MKDIR", XS_RM: "RM",
    XS_SET_PERMS: "SET_PERMS", XS_WATCH_EVENT: "WATCH_EVENT",
    XS_ERROR: "ERROR", XS_IS_DOMAIN_INTRODUCED: "IS_DOMAIN_INTRODUCED",
    XS_RESUME: "RESUME", XS_SET_TARGET: "SET_TARGET",
    XS_RESET_WATCHES: "RESET_WATCHES", XS_DIRECTORY_PART: "DIRECTORY_PART",
}


DOMID_SELF = 0x7FF0
DOMID_FIRST_RESERVED = 0x7FF0

# Relative paths of dom0 connections are relative to this node.
DOM0_HOME = "/local/domain/0"
SPECIAL_WATCHES = ("@introduceDomain", "@releaseDomain")

OK = b"OK\0"

STATE_FORMAT = "xenstored-sim-state"
STATE_VERSION = 1

log = logging.getLogger("xenstored_sim")


class XsError(Exception):
    """A request failed; the reply is XS_ERROR carrying this errno name."""

    def __init__(self, name):
        super().__init__(name)
        self.name = name


# ---------------------------------------------------------------------------
# Small C-compatible parsing helpers
# ---------------------------------------------------------------------------

_ATOI_RE = re.compile(rb"[ \t\n\v\f\r]*([+-]?[0-9]*)")
_STRTOL_RE = re.compile(
    rb"[ \t\n\v\f\r]*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)")
_VALID_CHARS_RE = re.compile(r"[A-Za-z0-9/_@-]*")
_LOCAL_DOMAIN_RE = re.compile(r"/local/domain/[0-9]{1,5}/")


def to_s32(value):
    value &= 0xFFFFFFFF
    return value - 0x100000000 if value & 0x80000000 else value


def c_atoi(raw):
    """atoi(3): leading digits only, 0 when there are none."""
    digits = _ATOI_RE.match(raw).group(1)
    try:
        return to_s32(int(digits))
    except ValueError:
        return 0


def c_unsigned(raw):
    """The value xenstored gets when it stores atoi() in an unsigned int."""
    return c_atoi(raw) & 0xFFFFFFFF


def split_strings(payload):
    """NUL-terminated strings of a payload; bytes after the last NUL are
    ignored, as get_strings() in xenstored does."""
    parts = payload.split(b"\0")
    return parts[:-1]


def onearg(payload):
    """The single argument of a request whose payload must contain exactly
    one NUL, at its end (xenstored's onearg())."""
    if not payload or payload.find(b"\0") != len(payload) - 1:
        raise XsError("EINVAL")
    return payload[:-1]


def is_valid_nodename(path):
    """xenstored's is_valid_nodename() for an absolute path (str)."""
    if not path.startswith("/"):
        return False
    if path.endswith("/") and path != "/":
        return False
    if "//" in path:
        return False
    if len(path) > XENSTORE_ABS_PATH_MAX:
        return False
    # The length limit applies to the part below a domain's home directory.
    home = _LOCAL_DOMAIN_RE.match(path)
    offset = home.end() if home else 0
    if len(path) - offset > XENSTORE_REL_PATH_MAX:
        return False
    return _VALID_CHARS_RE.fullmatch(path) is not None


def canonicalize(raw):
    """Make a request path absolute (str) without validating it."""
    path = raw.decode("latin-1")
    if path.startswith("/") or path.startswith("@"):
        return path
    return DOM0_HOME + "/" + path


def node_path(raw):
    """Canonical, validated node path; "@" names are not nodes."""
    path = canonicalize(raw)
    if not is_valid_nodename(path):
        raise XsError("EINVAL")
    return path


def parent_of(path):
    cut = path.rfind("/")
    return path[:cut] if cut > 0 else "/"


def basename_of(path):
    return path[path.rfind("/") + 1:]


def child_path(path, name):
    return "/" + name if path == "/" else path + "/" + name


def is_child(name, watched):
    """Is name the watched node or below it?  A watch on "/" sees every
    event, special ones included, exactly as in xenstored."""
    if watched == "/":
        return True
    return name == watched or name.startswith(watched + "/")


def parse_perm(raw):
    """One permission string ("r5", "b0x10", "n0") in xenstored's canonical
    form: a letter and the domid printed as a signed int."""
    if not raw or raw[:1] not in b"rwbn":
        raise XsError("EINVAL")
    letter, rest = raw[:1], raw[1:]
    match = _STRTOL_RE.match(rest)
    if not match or match.end() != len(rest):
        raise XsError("EINVAL")
    sign, digits = match.groups()
    if digits[:2] in (b"0x", b"0X"):
        value = int(digits, 16)
    elif digits.startswith(b"0"):
        value = int(digits, 8)
    else:
        value = int(digits)
    if sign == b"-":
        value = -value
    value = max(-(1 << 63), min(value, (1 << 63) - 1))   # strtol saturates
    return "%s%d" % (letter.decode(), to_s32(value))


# ---------------------------------------------------------------------------
# The tree and its views
# ---------------------------------------------------------------------------

class Node:
    """One xenstore node.  children keeps insertion order, like xenstored's
    child list; gen changes whenever the node or its child list changes."""

    __slots__ = ("value", "perms", "children", "gen")

    def __init__(self, value, perms, children=None, gen=0):
        self.value = value
        self.perms = perms                       # tuple of str, e.g. ("n0",)
        self.children = {} if children is None else children
        self.gen = gen

    def copy(self):
        return Node(self.value, self.perms, dict(self.children), self.gen)

    def children_blob(self):
        if not self.children:
            return b""
        return ("\0".join(self.children) + "\0").encode("latin-1")


class Store:
    """The committed tree (path -> Node) and the set of introduced domains."""

    def __init__(self):
        self.nodes = {}
        self.generation = 0
        self.introduced = set()
        self._create_initial_tree()

    def next_gen(self):
        self.generation += 1
        return self.generation

    def _create_initial_tree(self):
        # xenstored starts with "/", "/tool" and "/tool/xenstored".
        perms = ("n0",)
        self.nodes = {
            "/": Node(b"", perms, {"tool": None}),
            "/tool": Node(b"", perms, {"xenstored": None}),
            "/tool/xenstored": Node(b"", perms),
        }
        for node in self.nodes.values():
            node.gen = self.next_gen()

    def is_introduced(self, domid):
        return domid == 0 or domid in self.introduced

    # -- persistence --------------------------------------------------------

    def to_json(self):
        """State in pre-order so that loading recreates child order."""
        entries = []
        stack = ["/"]
        while stack:
            path = stack.pop()
            node = self.nodes[path]
            entries.append({
                "path": path,
                "value": base64.b64encode(node.value).decode("ascii"),
                "perms": list(node.perms),
            })
            for name in reversed(list(node.children)):
                stack.append(child_path(path, name))
        return {
            "format": STATE_FORMAT,
            "version": STATE_VERSION,
            "domains": sorted(self.introduced),
            "nodes": entries,
        }

    def load_json(self, data):
        if data.get("format") != STATE_FORMAT:
            raise ValueError("not a %s file" % STATE_FORMAT)
        nodes = {}
        for entry in data["nodes"]:
            path = entry["path"]
            if path != "/" and (not is_valid_nodename(path)
                                or parent_of(path) not in nodes):
                raise ValueError("bad or orphaned node %r" % path)
            nodes[path] = Node(base64.b64decode(entry["value"]),
                               tuple(entry["perms"]), {}, self.next_gen())
            if path != "/":
                nodes[parent_of(path)].children[basename_of(path)] = None
        if "/" not in nodes:
            raise ValueError("state has no root node")
        self.nodes = nodes
        self.introduced = {int(d) for d in data.get("domains", []) if int(d)}

    def save(self, filename):
        """Write the state atomically: temp file, fsync, rename."""
        directory = os.path.dirname(os.path.abspath(filename))
        tmp = "%s.tmp.%d" % (filename, os.getpid())
        with open(tmp, "w", encoding="ascii") as handle:
            json.dump(self.to_json(), handle, separators=(",", ":"))
            handle.flush()
            os.fsync(handle.fileno())
        os.rename(tmp, filename)
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

    def load(self, filename):
        with open(filename, "r", encoding="ascii") as handle:
            self.load_json(json.load(handle))


class DirectView:
    """Tree access outside a transaction: changes hit the store at once and
    watches fire immediately."""

    def __init__(self, store, fire):
        self.store = store
        self._fire = fire

    def get(self, path):
        return self.store.nodes.get(path)

    def modify(self, path):
        node = self.store.nodes[path]
        node.gen = self.store.next_gen()
        return node

    def add(self, path, node):
        node.gen = self.store.next_gen()
        self.store.nodes[path] = node

    def delete(self, path):
        del self.store.nodes[path]

    def fire(self, path, exact):
        self._fire(path, exact)


class Transaction:
    """Copy-on-write view of the store for one transaction.

    Like xenstored 4.17 the transaction reads the live store for nodes it
    has not touched yet and remembers the generation of every node it
    accessed (None for "did not exist").  Commit fails with EAGAIN when any
    of them changed meanwhile, which makes commits serialisable without
    copying the tree at start.
    """

    _DELETED = None

    def __init__(self, store, tx_id):
        self.store = store
        self.tx_id = tx_id
        self.overlay = {}           # path -> private Node copy, or None
        self.accessed = {}          # path -> store generation at first access
        self.watch_queue = {}       # path -> exact flag, fired at commit

    def _note(self, path):
        if path not in self.accessed:
            node = self.store.nodes.get(path)
            self.accessed[path] = node.gen if node is not None else None

    def get(self, path):
        if path in self.overlay:
            return self.overlay[path]
        self._note(path)
        return self.store.nodes.get(path)

    def modify(self, path):
        if path in self.overlay:
            node = self.overlay[path]
        else:
            self._note(path)
            node = self.store.nodes[path].copy()
            self.overlay[path] = node
        node.gen = self.store.next_gen()
        return node

    def add(self, path, node):
        self._note(path)
        node.gen = self.store.next_gen()
        self.overlay[path] = node

    def delete(self, path):
        self._note(path)
        self.overlay[path] = self._DELETED

    def fire(self, path, exact):
        self.watch_queue[path] = exact

    def has_conflict(self):
        nodes = self.store.nodes
        for path, gen in self.accessed.items():
            node = nodes.get(path)
            if (node.gen if node is not None else None) != gen:
                return True
        return False

    def commit(self):
        """Apply the overlay; return the (path, exact) watch events to fire
        in the order the nodes were first accessed."""
        nodes = self.store.nodes
        for path, node in self.overlay.items():
            if node is self._DELETED:
                nodes.pop(path, None)
            else:
                node.gen = self.store.next_gen()
                nodes[path] = node
        return [(path, self.watch_queue[path]) for path in self.accessed
                if path in self.watch_queue]


# Tree operations shared by direct and transactional access -----------------

def create_node(view, path, value):
    """Create a missing node and any missing ancestors.  New nodes inherit
    the permissions of the nearest existing ancestor."""
    missing = [path]
    parent = parent_of(path)
    while view.get(parent) is None:
        missing.append(parent)
        parent = parent_of(parent)
    ancestor = view.modify(parent)
    ancestor.children[basename_of(missing[-1])] = None
    perms = ancestor.perms
    for index in range(len(missing) - 1, -1, -1):
        children = {basename_of(missing[index - 1]): None} if index else {}
        view.add(missing[index], Node(value if index == 0 else b"",
                                      perms, children))


def subtree_postorder(view, root):
    """Paths of root's subtree, children (in order) before their parent."""
    order = []
    stack = [(root, False)]
    while stack:
        path, expanded = stack.pop()
        if expanded:
            order.append(path)
            continue
        node = view.get(path)
        if node is None:
            continue
        stack.append((path, True))
        for name in reversed(list(node.children)):
            stack.append((child_path(path, name), False))
    return order


def remove_subtree(view, root):
    """Remove root and everything below it.  As in xenstored 4.17 the root
    fires like a normal change, nodes inside the subtree fire only watches
    set exactly on them."""
    for path in subtree_postorder(view, root):
        view.delete(path)
        view.fire(path, path != root)
    parent = view.modify(parent_of(root))
    parent.children.pop(basename_of(root), None)


# ---------------------------------------------------------------------------
# Connections
# ---------------------------------------------------------------------------

class Watch:
    __slots__ = ("path", "token", "relative")

    def __init__(self, path, token, relative):
        self.path = path            # canonical path or "@..." name
        self.token = token          # bytes
        self.relative = relative    # registered with a relative path

    def event_payload(self, name):
        if self.relative:
            name = name[len(DOM0_HOME):]
            if name.startswith("/"):
                name = name[1:]
        return name.encode("latin-1") + b"\0" + self.token + b"\0"


class Connection:
    """One client socket: input buffer, queued output, watches and open
    transactions."""

    def __init__(self, sock, conn_id):
        self.sock = sock
        self.id = conn_id
        self.inbuf = bytearray()
        # Whole messages only, so replies and events never interleave.
        self.outq = collections.deque()     # (bytes, event payload or None)
        self.out_offset = 0
        self.pending_events = collections.Counter()
        self.watching_write = False
        self.watches = []
        self.transactions = {}
        self.next_tx_id = 1
        self.closed = False

    def queue(self, message, event=None):
        self.outq.append((message, event))
        if event is not None:
            self.pending_events[event] += 1

    def queue_event(self, watch, name):
        payload = watch.event_payload(name)
        if len(payload) > XENSTORE_PAYLOAD_MAX:
            return
        # xenstored drops an event identical to one still waiting to be
        # sent, except for the special @ events.
        if not name.startswith("@") and self.pending_events[payload]:
            return
        self.queue(HEADER.pack(XS_WATCH_EVENT, 0, 0, len(payload)) + payload,
                   payload)

    def flush(self):
        """Send as much queued output as the socket takes.  Returns False
        when the peer is gone."""
        while self.outq:
            if len(self.outq) == 1:
                data = memoryview(self.outq[0][0])[self.out_offset:]
            else:
                chunk = [self.outq[0][0][self.out_offset:]]
                size = len(chunk[0])
                for message, _ in list(self.outq)[1:64]:
                    chunk.append(message)
                    size += len(message)
                    if size >= 65536:
                        break
                data = b"".join(chunk)
            try:
                sent = self.sock.send(data)
            except (BlockingIOError, InterruptedError):
                return True
            except OSError:
                return False
            self._consume(sent)
            if sent < len(data):
                return True
        return True

    def _consume(self, sent):
        while sent:
            message, event = self.outq[0]
            left = len(message) - self.out_offset
            if sent < left:
                self.out_offset += sent
                return
            sent -= left
            self.outq.popleft()
            self.out_offset = 0
            if event is not None:
                self.pending_events[event] -= 1
                if not self.pending_events[event]:
                    del self.pending_events[event]


# ---------------------------------------------------------------------------
# The server
# ---------------------------------------------------------------------------

class Server:
    def __init__(self, socket_path, state_file=None, pidfile=None,
                 verbose=False):
        self.socket_path = socket_path
        self.state_file = state_file
        self.pidfile = pidfile
        self.verbose = verbose
        self.watch_quota = None     # watches a connection may hold
        self.quota_refusals = 0
        self.store = Store()
        self.direct = DirectView(self.store, self.fire_watches)
        self.selector = selectors.DefaultSelector()
        self.connections = {}
        self.dirty = set()
        self.next_conn_id = 1
        self.stopping = False
        self.listener = None
        self._wake_r = self._wake_w = None
        self.handlers = {
            XS_CONTROL: (self.do_control, False),
            XS_DIRECTORY: (self.do_directory, False),
            XS_READ: (self.do_read, False),
            XS_GET_PERMS: (self.do_get_perms, False),
            XS_WATCH: (self.do_watch, True),
            XS_UNWATCH: (self.do_unwatch, True),
            XS_TRANSACTION_START: (self.do_transaction_start, False),
            XS_TRANSACTION_END: (self.do_transaction_end, False),
            XS_INTRODUCE: (self.do_introduce, False),
            XS_RELEASE: (self.do_release, False),
            XS_GET_DOMAIN_PATH: (self.do_get_domain_path, False),
            XS_WRITE: (self.do_write, False),
            XS_MKDIR: (self.do_mkdir, False),
            XS_RM: (self.do_rm, False),
            XS_SET_PERMS: (self.do_set_perms, False),
            XS_IS_DOMAIN_INTRODUCED: (self.do_is_domain_introduced, False),
            XS_RESUME: (self.do_resume, False),
            XS_SET_TARGET: (self.do_set_target, False),
            XS_RESET_WATCHES: (self.do_reset_watches, False),
            XS_DIRECTORY_PART: (self.do_directory_part, False),
        }

    # -- life cycle ---------------------------------------------------------

    def load_state(self):
        if self.state_file and os.path.exists(self.state_file):
            self.store.load(self.state_file)
            log.info("loaded %d nodes and %d domains from %s",
                     len(self.store.nodes), len(self.store.introduced),
                     self.state_file)

    def save_state(self):
        if self.state_file:
            self.store.save(self.state_file)
            log.info("saved %d nodes to %s", len(self.store.nodes),
                     self.state_file)

    def listen(self):
        try:
            os.unlink(self.socket_path)
        except FileNotFoundError:
            pass
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(self.socket_path)
        self.listener.listen(128)
        self.listener.setblocking(False)
        self.selector.register(self.listener, selectors.EVENT_READ,
                               self._accept)
        # Signals only set a flag; the wakeup fd makes select() return.
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        signal.set_wakeup_fd(self._wake_w.fileno(), warn_on_full_buffer=False)
        self.selector.register(self._wake_r, selectors.EVENT_READ,
                               self._drain_wakeup)
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self._on_signal)
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        if self.pidfile:
            write_pidfile(self.pidfile)
        log.info("listening on %s (pid %d)", self.socket_path, os.getpid())

    def _on_signal(self, signum, _frame):
        self.stopping = True

    def _drain_wakeup(self, _mask):
        try:
            while self._wake_r.recv(4096):
                pass
        except (BlockingIOError, InterruptedError):
            pass

    def run(self):
        while not self.stopping:
            for key, mask in self.selector.select():
                key.data(mask)
            self._flush_dirty()

    def shutdown(self):
        for conn in list(self.connections.values()):
            self.close_connection(conn, "server shutdown", logging.DEBUG)
        if self.listener is not None:
            self.selector.unregister(self.listener)
            self.listener.close()
            try:
                os.unlink(self.socket_path)
            except FileNotFoundError:
                pass
        signal.set_wakeup_fd(-1)
        saved = True
        try:
            self.save_state()
        except OSError as err:
            log.error("cannot save state to %s: %s", self.state_file, err)
            saved = False
        if self.pidfile:
            try:
                os.unlink(self.pidfile)
            except FileNotFoundError:
                pass
        log.info("stopped")
        return saved

    # -- socket events ------------------------------------------------------

    def _accept(self, _mask):
        while True:
            try:
                sock, _ = self.listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as err:
                log.warning("accept failed: %s", err)
                return
            sock.setblocking(False)
            conn = Connection(sock, self.next_conn_id)
            self.next_conn_id += 1
            self.connections[sock.fileno()] = conn
            self.selector.register(
                sock, selectors.EVENT_READ,
                lambda mask, conn=conn: self._on_connection(conn, mask))
            log.debug("connection %d opened", conn.id)

    def _on_connection(self, conn, mask):
        if conn.closed:
            return
        if mask & selectors.EVENT_WRITE:
            self.dirty.add(conn)
        if mask & selectors.EVENT_READ:
            self._read(conn)

    def _read(self, conn):
        try:
            data = conn.sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as err:
            self.close_connection(conn, "read error: %s" % err)
            return
        if not data:
            if conn.inbuf:
                self.close_connection(conn, "disconnected mid-message "
                                      "(%d bytes pending)" % len(conn.inbuf))
            else:
                self.close_connection(conn, "disconnected", logging.DEBUG)
            return
        conn.inbuf += data
        self._process_input(conn)
        if not conn.closed:
            self.dirty.add(conn)

    def _process_input(self, conn):
        buf = conn.inbuf
        pos = 0
        while len(buf) - pos >= HEADER.size:
            mtype, req_id, tx_id, length = HEADER.unpack_from(buf, pos)
            if length > XENSTORE_PAYLOAD_MAX:
                # xenstored treats this as a broken client and drops it.
                self.close_connection(
                    conn, "payload length %d exceeds %d" %
                    (length, XENSTORE_PAYLOAD_MAX))
                return
            end = pos + HEADER.size + length
            if end > len(buf):
                break
            payload = bytes(buf[pos + HEADER.size:end])
            pos = end
            self.process_message(conn, mtype, req_id, tx_id, payload)
            if conn.closed:
                return
        del buf[:pos]

    def _flush_dirty(self):
        while self.dirty:
            conn = self.dirty.pop()
            if conn.closed:
                continue
            if not conn.flush():
                self.close_connection(conn, "write error")
                continue
            want_write = bool(conn.outq)
            if want_write != conn.watching_write:
                events = selectors.EVENT_READ
                if want_write:
                    events |= selectors.EVENT_WRITE
                self.selector.modify(conn.sock, events,
                                     self.selector.get_key(conn.sock).data)
                conn.watching_write = want_write

    def close_connection(self, conn, reason, level=logging.INFO):
        if conn.closed:
            return
        log.log(level, "connection %d closed: %s", conn.id, reason)
        conn.flush()                    # best effort, never blocks
        conn.closed = True
        self.dirty.discard(conn)
        try:
            self.selector.unregister(conn.sock)
        except (KeyError, ValueError):
            pass
        self.connections.pop(conn.sock.fileno(), None)
        conn.sock.close()
        conn.watches.clear()
        conn.transactions.clear()

    # -- message dispatch ---------------------------------------------------

    def process_message(self, conn, mtype, req_id, tx_id, payload):
        if self.verbose:
            log.debug("conn %d <- %s req=%d tx=%d %r", conn.id,
                      TYPE_NAMES.get(mtype, mtype), req_id, tx_id,
                      payload[:200])
        try:
            handler, ignores_tx = self.handlers.get(mtype, (None, True))
            if handler is None:
                log.warning("connection %d: unknown operation %d",
                            conn.id, mtype)
                raise XsError("ENOSYS")
            tx = None
            if tx_id and not ignores_tx:
                tx = conn.transactions.get(tx_id)
                if tx is None:
                    raise XsError("ENOENT")
            reply = handler(conn, req_id, tx_id, tx, payload)
        except XsError as err:
            self.send(conn, XS_ERROR, req_id, tx_id,
                      err.name.encode() + b"\0")
            return
        except Exception:               # keep serving the other clients
            log.error("internal error handling %s:\n%s",
                      TYPE_NAMES.get(mtype, mtype), traceback.format_exc())
            self.send(conn, XS_ERROR, req_id, tx_id, b"EIO\0")
            return
        if reply is not None:
            self.send(conn, mtype, req_id, tx_id, reply)

    def send(self, conn, mtype, req_id, tx_id, payload):
        if len(payload) > XENSTORE_PAYLOAD_MAX:
            mtype, payload = XS_ERROR, b"E2BIG\0"
        if self.verbose:
            log.debug("conn %d -> %s req=%d tx=%d %r", conn.id,
                      TYPE_NAMES.get(mtype, mtype), req_id, tx_id,
                      payload[:200])
        conn.queue(HEADER.pack(mtype, req_id, tx_id, len(payload)) + payload)

    def view(self, tx):
        return tx if tx is not None else self.direct

    def fire_watches(self, name, exact):
        for conn in self.connections.values():
            for watch in conn.watches:
                if name == watch.path if exact else is_child(name, watch.path):
                    conn.queue_event(watch, name)
                    self.dirty.add(conn)

    # -- node operations ----------------------------------------------------

    def _existing(self, view, path):
        node = view.get(path)
        if node is None:
            raise XsError("ENOENT")
        return node

    def do_read(self, conn, req_id, tx_id, tx, payload):
        return self._existing(self.view(tx), node_path(onearg(payload))).value

    def do_directory(self, conn, req_id, tx_id, tx, payload):
        node = self._existing(self.view(tx), node_path(onearg(payload)))
        return node.children_blob()

    def do_directory_part(self, conn, req_id, tx_id, tx, payload):
        args = split_strings(payload)
        if len(args) != 2:
            raise XsError("EINVAL")
        node = self._existing(self.view(tx), node_path(args[0]))
        offset = c_unsigned(args[1])
        gen = b"%d\0" % node.gen
        blob = node.children_blob()
        if offset >= len(blob):
            return gen + b"\0"
        # Whole names that fit, as xenstored's send_directory_part() does;
        # the final chunk is marked by an extra NUL.
        limit = XENSTORE_PAYLOAD_MAX - len(gen) - 1
        length = 0
        while True:
            name_len = blob.index(b"\0", offset + length) - (offset + length)
            if length + name_len >= limit:
                break
            length += name_len + 1
            if offset + length == len(blob):
                break
        chunk = blob[offset:offset + length]
        if offset + length == len(blob):
            chunk += b"\0"
        return gen + chunk

    def do_get_perms(self, conn, req_id, tx_id, tx, payload):
        node = self._existing(self.view(tx), node_path(onearg(payload)))
        return "".join(p + "\0" for p in node.perms).encode("latin-1")

    def do_write(self, conn, req_id, tx_id, tx, payload):
        cut = payload.find(b"\0")
        if cut < 0:
            raise XsError("EINVAL")
        path = node_path(payload[:cut])
        value = payload[cut + 1:]
        view = self.view(tx)
        if view.get(path) is None:
            create_node(view, path, value)
        else:
            view.modify(path).value = value
        view.fire(path, False)
        return OK

    def do_mkdir(self, conn, req_id, tx_id, tx, payload):
        path = node_path(onearg(payload))
        view = self.view(tx)
        if view.get(path) is None:
            create_node(view, path, b"")
            view.fire(path, False)
        return OK

    def do_rm(self, conn, req_id, tx_id, tx, payload):
        path = node_path(onearg(payload))
        view = self.view(tx)
        if view.get(path) is None:
            # Already gone is fine, but only if the parent exists.
            if view.get(parent_of(path)) is None:
                raise XsError("ENOENT")
            return OK
        if path == "/":
            raise XsError("EINVAL")
        remove_subtree(view, path)
        return OK

    def do_set_perms(self, conn, req_id, tx_id, tx, payload):
        args = split_strings(payload)
        if len(args) < 2:
            raise XsError("EINVAL")
        perms = tuple(parse_perm(raw) for raw in args[1:])
        if args[0].startswith(b"@"):
            if args[0].decode("latin-1") not in SPECIAL_WATCHES:
                raise XsError("EINVAL")
            return OK
        path = node_path(args[0])
        view = self.view(tx)
        self._existing(view, path)
        view.modify(path).perms = perms
        view.fire(path, False)
        return OK

    # -- watches ------------------------------------------------------------

    def do_watch(self, conn, req_id, tx_id, tx, payload):
        args = split_strings(payload)
        if len(args) != 2:
            raise XsError("EINVAL")
        raw_path, token = args
        if raw_path.startswith(b"@"):
            path = raw_path.decode("latin-1")
            relative = False
            if len(path) > XENSTORE_REL_PATH_MAX:
                raise XsError("EINVAL")
        else:
            relative = not raw_path.startswith(b"/")
            path = node_path(raw_path)
        for watch in conn.watches:
            if watch.path == path and watch.token == token:
                raise XsError("EEXIST")
        # oxenstored's quota for an unprivileged domain, if set.
        if self.watch_quota is not None and \
                len(conn.watches) >= self.watch_quota:
            self.quota_refusals += 1
            log.info("watch quota %d reached: %s refused (%d so far)",
                     self.watch_quota, path, self.quota_refusals)
            raise XsError("EQUOTA")
        watch = Watch(path, token, relative)
        conn.watches.append(watch)
        # Acknowledge, then fire once up front as xenstored does.
        self.send(conn, XS_WATCH, req_id, tx_id, OK)
        conn.queue_event(watch, path)
        return None

    def do_unwatch(self, conn, req_id, tx_id, tx, payload):
        args = split_strings(payload)
        if len(args) != 2:
            raise XsError("EINVAL")
        path = canonicalize(args[0])
        for index, watch in enumerate(conn.watches):
            if watch.path == path and watch.token == args[1]:
                del conn.watches[index]
                return OK
        raise XsError("ENOENT")

    def do_reset_watches(self, conn, req_id, tx_id, tx, payload):
        conn.watches.clear()
        conn.transactions.clear()
        return OK

    # -- transactions -------------------------------------------------------

    def do_transaction_start(self, conn, req_id, tx_id, tx, payload):
        if tx is not None:
            raise XsError("EBUSY")      # no nested transactions
        while True:
            new_id = conn.next_tx_id
            conn.next_tx_id = (conn.next_tx_id + 1) & 0xFFFFFFFF
            if new_id and new_id not in conn.transactions:
                break
        conn.transactions[new_id] = Transaction(self.store, new_id)
        return b"%d\0" % new_id

    def do_transaction_end(self, conn, req_id, tx_id, tx, payload):
        if not payload.endswith(b"\0") or payload[:-1] not in (b"T", b"F"):
            raise XsError("EINVAL")
        if tx is None:
            raise XsError("ENOENT")
        # The transaction is gone whatever the outcome.
        del conn.transactions[tx.tx_id]
        if payload[:-1] == b"T":
            if tx.has_conflict():
                raise XsError("EAGAIN")
            # Like xenstored: the committed changes fire their watches
            # first, the acknowledgement follows.
            for path, exact in tx.commit():
                self.fire_watches(path, exact)
        return OK

    # -- domains ------------------------------------------------------------

    def do_introduce(self, conn, req_id, tx_id, tx, payload):
        args = split_strings(payload)
        if len(args) < 3:
            raise XsError("EINVAL")
        domid = c_unsigned(args[0])
        port = c_unsigned(args[2])
        if port == 0 or domid >= DOMID_FIRST_RESERVED:
            raise XsError("EINVAL")
        if not self.store.is_introduced(domid):
            self.store.introduced.add(domid)
            self.fire_watches("@introduceDomain", False)
        return OK

    def _connected_domain(self, payload):
        domid = c_atoi(onearg(payload))
        if domid == 0:
            raise XsError("EINVAL")
        if domid not in self.store.introduced:
            raise XsError("ENOENT")
        return domid

    def do_release(self, conn, req_id, tx_id, tx, payload):
        domid = self._connected_domain(payload)
        self.store.introduced.discard(domid)
        self.fire_watches("@releaseDomain", False)
        return OK

    def do_resume(self, conn, req_id, tx_id, tx, payload):
        self._connected_domain(payload)
        return OK

    def do_is_domain_introduced(self, conn, req_id, tx_id, tx, payload):
        domid = c_unsigned(onearg(payload))
        if domid == DOMID_SELF or self.store.is_introduced(domid):
            return b"T\0"
        return b"F\0"

    def do_get_domain_path(self, conn, req_id, tx_id, tx, payload):
        domid = c_unsigned(onearg(payload))
        return b"/local/domain/%d\0" % domid

    def do_set_target(self, conn, req_id, tx_id, tx, payload):
        args = split_strings(payload)
        if len(args) < 2:
            raise XsError("EINVAL")
        for raw in args[:2]:
            if not self.store.is_introduced(c_unsigned(raw)):
                raise XsError("ENOENT")
        return OK

    def do_control(self, conn, req_id, tx_id, tx, payload):
        args = split_strings(payload)
        if not args:
            raise XsError("EINVAL")
        command = args[0]
        if command == b"help":
            return b"Valid commands:\nhelp\nprint <string>\ncheck\nlog\n\0"
        if command == b"print":
            log.info("control print: %r", b" ".join(args[1:]))
            return OK
        if command in (b"check", b"log"):
            return OK
        raise XsError("EINVAL")


def write_pidfile(filename):
    """Write the pid atomically so pollers never see a partial file."""
    tmp = "%s.tmp.%d" % (filename, os.getpid())
    with open(tmp, "w", encoding="ascii") as handle:
        handle.write("%d\n" % os.getpid())
    os.rename(tmp, filename)


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description="xenstore daemon simulator speaking the xenstored "
                    "unix-socket protocol")
    parser.add_argument("--socket", required=True,
                        help="unix socket path to listen on")
    parser.add_argument("--state",
                        help="JSON file: loaded at start if present, saved "
                             "on SIGTERM/SIGINT")
    parser.add_argument("--pidfile",
                        help="written once the socket is listening")
    parser.add_argument("--log", help="log file (default: stderr)")
    parser.add_argument("--watch-quota", type=int,
                        help="refuse a connection's watches beyond this "
                             "many with EQUOTA, as oxenstored does for a "
                             "driver domain")
    parser.add_argument("--verbose", action="store_true",
                        help="log every request and reply")
    return parser.parse_args(argv)


def setup_logging(filename, verbose):
    handler = (logging.FileHandler(filename) if filename
               else logging.StreamHandler(sys.stderr))
    handler.setFormatter(logging.Formatter(
        "%(asctime)s xenstored_sim[%(process)d] %(levelname)s %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.DEBUG if verbose else logging.INFO)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    setup_logging(args.log, args.verbose)
    server = Server(args.socket, args.state, args.pidfile, args.verbose)
    server.watch_quota = args.watch_quota
    try:
        server.load_state()
    except (OSError, ValueError, KeyError, TypeError) as err:
        log.error("cannot load state %s: %s", args.state, err)
        return 1
    try:
        server.listen()
    except OSError as err:
        log.error("cannot listen on %s: %s", args.socket, err)
        return 1
    try:
        server.run()
    finally:
        saved = server.shutdown()
    return 0 if saved else 1


if __name__ == "__main__":
    sys.exit(main())
