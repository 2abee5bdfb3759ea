# SPDX-License-Identifier: ISC
"""Minimal TAP producer for test scripts run by automake's tap-driver.

    import tap

    def main(t):
        tap.require_root(t)          # 1..0 # SKIP when not permitted
        t.ok(1 + 1 == 2, "arithmetic")
        t.is_(got, expected, "same thing")

    tap.run(main)

run() calls main(t), turns an uncaught exception into a failing test with
the traceback as diagnostics, runs the end hooks other modules registered
with at_end() (the dom0 rig uses this to close every environment a test
forgot to close and to report sanitizer findings), prints the plan if the
script did not give one, and exits 1 if anything failed.

Output is flushed line by line so that the driver sees results in order
with anything children write to their own log files.
"""

import os
import subprocess
import sys
import traceback

_current = None         # the Tap of the running script, see current()
_end_hooks = []         # callables run by run() after main, in order


class SkipAll(Exception):
    """Raised by skip_all() after the skip plan is printed."""


def current():
    """The Tap that run() is driving, or None outside run()."""
    return _current


def at_end(hook):
    """Register hook(tap) to run after main returns or fails, before the
    plan is checked; exceptions it raises become failing tests."""
    if hook not in _end_hooks:
        _end_hooks.append(hook)


class Tap:
    def __init__(self, out=None):
        self.out = out or sys.stdout
        self.count = 0
        self.failed = 0
        self.planned = None
        self.plan_printed = False

    # -- output -------------------------------------------------------------

    def _emit(self, line):
        self.out.write(line + "\n")
        self.out.flush()

    def diag(self, msg):
        """Print msg as '# ' comment lines (any number of lines)."""
        text = str(msg)
        for line in text.splitlines() or [""]:
            self._emit("# " + line if line else "#")

    # -- plan ---------------------------------------------------------------

    def plan(self, n):
        if self.plan_printed:
            raise RuntimeError("plan printed twice")
        self.planned = n
        self.plan_printed = True
        self._emit("1..%d" % n)

    def done_testing(self):
        """Print the plan for the tests run so far (when none was given)."""
        if not self.plan_printed:
            self.plan(self.count)

    def skip_all(self, reason):
        """Skip the whole script: only valid before any test ran."""
        if self.count:
            raise RuntimeError("skip_all after %d tests" % self.count)
        self._emit("1..0 # SKIP %s" % _one_line(reason))
        self.plan_printed = True
        self.planned = 0
        raise SkipAll(reason)

    # -- tests --------------------------------------------------------------

    def ok(self, cond, desc, diag=None):
        """One test; diag (str or callable returning str) is printed only
        on failure.  Returns bool(cond) so callers can chain checks."""
        self.count += 1
        passed = bool(cond)
        desc = _one_line(desc).replace("#", "\\#")
        self._emit("%s %d - %s" % ("ok" if passed else "not ok",
                                   self.count, desc))
        if not passed:
            self.failed += 1
            if callable(diag):
                diag = diag()
            if diag is not None:
                self.diag(diag)
        return passed

    def is_(self, got, expected, desc):
        """ok(got == expected) that shows both values on failure."""
        return self.ok(got == expected, desc, lambda: "got: %r\nexpected: %r"
                       % (got, expected))

    def skip(self, desc, reason):
        """One test that was not run."""
        self.count += 1
        self._emit("ok %d - %s # SKIP %s" % (self.count, _one_line(desc),
                                             _one_line(reason)))

    def fail(self, desc, diag=None):
        return self.ok(False, desc, diag)


def _one_line(text):
    return " ".join(str(text).split())


# ---------------------------------------------------------------------------
# Environment checks
# ---------------------------------------------------------------------------

def require_root(tap):
    """skip_all unless running as root with network namespaces usable."""
    if os.geteuid() != 0:
        tap.skip_all("needs root (network namespaces, snmpd)")
    probe = "xvaprobe%d" % os.getpid()
    try:
        res = subprocess.run(["ip", "netns", "add", probe],
                             capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as err:
        tap.skip_all("cannot run ip netns: %s" % err)
    if res.returncode != 0:
        tap.skip_all("ip netns add is not permitted: %s"
                     % res.stderr.strip())
    subprocess.run(["ip", "netns", "del", probe], capture_output=True,
                   timeout=30)


# ---------------------------------------------------------------------------
# Driver
# ---------------------------------------------------------------------------

def _report_exception(tap, what):
    tap.ok(False, what, traceback.format_exc().rstrip())


def run(main, tap=None):
    """Run main(tap) as a TAP script and exit with its status."""
    global _current
    tap = tap or Tap()
    _current = tap
    skipped = False
    try:
        main(tap)
    except SkipAll:
        skipped = True
    except SystemExit as err:
        if err.code not in (0, None):       # SIGTERM under dom0.py: 143
            _report_exception(tap, "exit with status %s" % err.code)
    except BaseException:           # noqa: B902 - KeyboardInterrupt too
        _report_exception(tap, "unexpected exception")
    for hook in list(_end_hooks):
        try:
            hook(tap)
        except BaseException:       # noqa: B902
            _report_exception(tap, "end of test cleanup")
    if not tap.plan_printed:
        tap.done_testing()
    elif not skipped and tap.planned != tap.count:
        tap.diag("planned %d tests but ran %d" % (tap.planned, tap.count))
        tap.failed += 1
    _current = None
    sys.stdout.flush()
    sys.exit(1 if tap.failed else 0)
