#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""The notification handlers on their own, fed notifications as
snmptrapd feeds them: they act on the VM's vifs only, refuse anything
else, can run twice, keep a limit while another cause holds it, and the
cut-off drops the guest's traffic until the quota clears."""

import os
import subprocess

from common import Dom0, Vif, notification, run_handler, tap, wait_until


def main(t):
    tap.require_root(t)
    with Dom0() as dom0:
        web = dom0.add_vm("web1", 3, vifs=[Vif(0, emu=True)])
        log = dom0.path("handler.log")

        def run(script, text, *args):
            return run_handler(dom0, script, text, *args)

        def tc(dev):
            return subprocess.run(["ip", "netns", "exec", dom0.ns, "tc", "qdisc",
                                   "show", "dev", dev], capture_output=True,
                                  text=True).stdout

        def nft():
            return subprocess.run(["ip", "netns", "exec", dom0.ns, "nft", "list",
                                   "ruleset"], capture_output=True,
                                  text=True).stdout

        hostile = "vif3.0 vif3.0-emu eth0 xenbr0 ../x $(touch${IFS}/tmp/pwn) vif99.0"
        r = run("xen-vif-shape", notification("exceeded", hostile), "--rate", "3mbit")
        t.is_(r.returncode, 0, "shape: exit 0")
        t.ok("rate 3Mbit" in tc("vif3.0") and "rate 3Mbit" in tc("vif3.0-emu"),
             "both the vif and its emulated tap get the token bucket")
        t.ok("tbf" not in tc("xenbr0"), "a device not like 'vif*' is left alone")
        with open(log) as f:
            text = f.read()
        t.ok("refusing device name 'eth0'" in text and
             "refusing device name 'xenbr0'" in text and
             "refusing device name '../x'" in text and
             not os.path.exists("/tmp/pwn"),
             "refused names are logged, and nothing in them runs", diag=text)

        r = run("xen-vif-shape", notification("exceeded", "vif3.0"), "--rate", "3mbit")
        t.is_((r.returncode, tc("vif3.0").count("tbf")), (0, 1),
              "running twice leaves one token bucket")
        r = run("xen-vif-shape", notification("rate", "vif3.0"), "--rate", "3mbit")
        r = run("xen-vif-shape", notification("cleared", "vif3.0"))
        t.ok("tbf" in tc("vif3.0"),
             "quota cleared while a rate alarm holds the vif: still limited")
        r = run("xen-vif-shape", notification("ratecleared", "vif3.0", in_alarm=3))
        t.ok("tbf" in tc("vif3.0"),
             "rate alarm cleared in one direction, on in the other: still limited")
        r = run("xen-vif-shape", notification("ratecleared", "vif3.0"))
        t.ok("tbf" not in tc("vif3.0"), "both causes gone: the limit is lifted")
        r = run("xen-vif-shape", notification("cleared", "vif3.0-emu"))
        t.ok("tbf" not in tc("vif3.0-emu"), "and on the tap")

        r = run("xen-vif-shape", notification("exceeded", "vif3.0"),
                "--rate", "1mbit;reboot")
        t.is_(r.returncode, 2, "a rate tc would not take is refused")
        t.ok("tbf" not in tc("vif3.0"), "and nothing is done")
        r = run("xen-vif-shape", notification("exceeded", "vif3.0"),
                "--allow", "*;x")
        t.is_(r.returncode, 2, "a strange --allow pattern is refused")
        r = run("xen-vif-shape", notification("warning", "vif3.0"))
        t.is_((r.returncode, "tbf" in tc("vif3.0")), (0, False),
              "a warning is not acted on")

        # The cut-off: nothing the guest sends gets past the vif.
        r = run("xen-vif-cutoff", notification("exceeded", "vif3.0 eth0"))
        t.is_(r.returncode, 0, "cut-off: exit 0")
        t.ok('hook ingress device "vif3.0"' in nft() and
             'hook egress device "vif3.0"' in nft() and "eth0" not in nft(),
             "ingress and egress drop chains for vif3.0 only")
        run("xen-vif-cutoff", notification("exceeded", "vif3.0"))
        t.is_(nft().count("hook ingress"), 1, "running twice adds nothing")
        before = dom0.link_stats("xenbr0")["rx_packets"]
        dom0._send(web.netns, web.guest_ifname(0), 5, 100, dom0.bridge_mac())
        wait_until(lambda: dom0.vif_stats(web, 0)["rx_packets"] >= 5, 5,
                   "the frames to reach vif3.0")
        t.is_(dom0.link_stats("xenbr0")["rx_packets"], before,
              "frames from the cut-off guest never reach the bridge")
        run("xen-vif-cutoff", notification("cleared", "vif3.0"))
        t.ok("xen_vif_agent" not in nft(), "cleared: the table is gone")
        dom0.send_from_guest(web, 0, count=2, size=100)
        t.ok(wait_until(lambda: dom0.link_stats("xenbr0")["rx_packets"]
                        >= before + 2, 5, "the frames to reach the bridge"),
             "and the guest's traffic flows again")


tap.run(main)
