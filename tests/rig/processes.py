# SPDX-License-Identifier: ISC
"""What every part of the simulated dom0 uses: its errors, commands run
to completion (in a network namespace too), background processes that
die with the test, and waiting for a condition.

The SNMP errors are here and not with the SNMP tools because waiting
treats them as "not yet" (snmpd not answering so far) where any other
RigError ends a wait at once (a daemon died)."""

import ctypes
import os
import signal
import subprocess
import time


# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------

class RigError(Exception):
    """The rig could not do what was asked."""


class CommandError(RigError):
    def __init__(self, cmd, returncode, stdout, stderr):
        super().__init__("%s: exit status %s\n%s" % (
            " ".join(cmd), returncode, (stderr or stdout or "").strip()))
        self.cmd = cmd
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr


class SnmpError(RigError):
    """An SNMP tool failed; .stderr has its complaint."""

    def __init__(self, cmd, returncode, stderr):
        super().__init__("%s: exit status %s: %s" % (
            cmd[0], returncode, stderr.strip()))
        self.cmd = cmd
        self.returncode = returncode
        self.stderr = stderr


class SnmpTimeout(SnmpError):
    """No response from the agent."""


# ---------------------------------------------------------------------------
# Waiting
# ---------------------------------------------------------------------------

def wait_until(fn, timeout=10, what="condition", interval=0.05):
    """Call fn every interval seconds until it returns something truthy and
    return that; raise TimeoutError naming `what` and fn's last value (or
    exception) after timeout seconds."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        try:
            last = fn()
        except _Abort:
            raise
        except Exception as err:        # noqa: BLE001 - reported below
            last = err
        else:
            if last:
                return last
        if time.monotonic() >= deadline:
            raise TimeoutError("timed out after %gs waiting for %s; last "
                               "value: %r" % (timeout, what, last))
        time.sleep(interval)


def wait_or_raise(fn, timeout, what):
    """wait_until, but a RigError raised by fn (a daemon died) ends the
    wait at once instead of being retried until the deadline."""
    def probe():
        try:
            return fn()
        except RigError as err:
            if isinstance(err, SnmpError):
                return None
            raise _Abort(err) from err

    try:
        return wait_until(probe, timeout, what)
    except _Abort as abort:
        raise abort.error from None


class _Abort(Exception):
    """Carries a fatal error out of wait_until, which retries the rest."""

    def __init__(self, error):
        super().__init__(str(error))
        self.error = error


# ---------------------------------------------------------------------------
# Commands and processes
# ---------------------------------------------------------------------------

def run(cmd, check=True, timeout=60, env=None, input=None):
    """Run cmd capturing text output; CommandError when check fails."""
    res = subprocess.run(cmd, capture_output=True, text=True,
                         timeout=timeout, env=env, input=input,
                         errors="surrogateescape")
    if check and res.returncode != 0:
        raise CommandError(cmd, res.returncode, res.stdout, res.stderr)
    return res


def ip(*args, ns=None, check=True):
    cmd = ["ip"] + (["-n", ns] if ns else []) + list(args)
    return run(cmd, check=check)


def in_ns(ns, cmd):
    return ["ip", "netns", "exec", ns] + list(cmd)


def die_with_parent():
    """preexec_fn: children get SIGKILL when the test process dies, even by
    SIGKILL, so no daemon outlives a crashed test."""
    libc = ctypes.CDLL(None, use_errno=True)
    pr_set_pdeathsig = 1
    libc.prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)


class Daemon:
    """One background process with its output appended to a log file."""

    def __init__(self, name, logfile):
        self.name = name
        self.logfile = logfile
        self.proc = None
        self.cmd = None

    def start(self, cmd, env):
        self.cmd = list(cmd)
        with open(self.logfile, "ab") as log:
            self.proc = subprocess.Popen(
                self.cmd, env=env, stdin=subprocess.DEVNULL, stdout=log,
                stderr=log, preexec_fn=die_with_parent,
                start_new_session=True)

    @property
    def running(self):
        return self.proc is not None and self.proc.poll() is None

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def stop(self, timeout=10):
        """SIGTERM and wait; returns the exit status (negative: signal).
        Raises RigError if it had to be killed."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise RigError("%s ignored SIGTERM for %gs; killed"
                               % (self.name, timeout)) from None
        return self.proc.returncode

    def kill(self):
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.kill()
        return self.proc.wait()

    def log_tail(self, lines=30):
        return tail(self.logfile, lines)


def tail(path, lines=30):
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return "".join(handle.readlines()[-lines:])
    except OSError:
        return "(no %s)" % path


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
