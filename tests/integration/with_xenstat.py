#!/usr/bin/python3
"""Runs an integration test with libxenstat as the agent's counter
source: for tests/integration/xenstat/NAME.xenstat it runs
tests/integration/NAME.py with XVA_COUNTER_SOURCE=xenstat, so that both
collectors pass the same tests.  The checks only rtnetlink can satisfy report themselves as
skipped (common.netlink_only)."""

import os
import sys

if len(sys.argv) != 2 or not sys.argv[1].endswith(".xenstat"):
    sys.exit("usage: with_xenstat.py tests/integration/xenstat/NAME.xenstat")
here = os.path.dirname(os.path.dirname(os.path.abspath(sys.argv[1])))
script = os.path.join(here, os.path.basename(sys.argv[1])[:-len(".xenstat")]
                      + ".py")
os.environ["XVA_COUNTER_SOURCE"] = "xenstat"
os.execv(sys.executable, [sys.executable, script])
