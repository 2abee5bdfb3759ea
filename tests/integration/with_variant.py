#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""Runs an integration test again on another platform: for
tests/integration/variants/NAME.WHAT.variant it runs
tests/integration/NAME.py with the environment the file sets, one
XVA_NAME=VALUE a line ('#' starts a comment).  So the same tests pass
with libxenstat as the counter source (XVA_COUNTER_SOURCE=xenstat), with
xapi's layout of xenstore (XVA_TOOLSTACK=xapi), or both.  Checks that a
platform cannot satisfy report themselves as skipped."""

import os
import sys

if len(sys.argv) != 2 or not sys.argv[1].endswith(".variant"):
    sys.exit("usage: with_variant.py tests/integration/variants/NAME.WHAT.variant")
path = sys.argv[1]
here = os.path.dirname(os.path.dirname(os.path.abspath(path)))
script = os.path.join(here, os.path.basename(path).split(".", 1)[0] + ".py")
with open(path, encoding="utf-8") as f:
    for number, line in enumerate(f, 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        name, sep, value = line.partition("=")
        if not sep or not name.startswith("XVA_"):
            sys.exit("%s:%d: expected XVA_NAME=VALUE" % (path, number))
        os.environ[name] = value
os.execv(sys.executable, [sys.executable, script])
