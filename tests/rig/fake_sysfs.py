# SPDX-License-Identifier: ISC
"""The part of sysfs the agent reads about dom0's devices, kept under a
root of its own (the agent's sysfsRoot) because the rig's veth devices
are not netback's: <root>/class/net/IF/device/nodename, which tells
whose vif a device of any name is."""

import os
import shutil


class FakeSysfs:
    def __init__(self, root):
        self.root = root

    def _device_dir(self, ifname):
        return os.path.join(self.root, "class", "net", ifname)

    def write_nodename(self, vm, devid, emu=False, ifname=None, value=None):
        """<root>/class/net/IF/device/nodename for a dom0 device (IF: the
        vif's current name unless given); value defaults to netback's
        "backend/vif/D/N"."""
        ifname = ifname or vm.ifname(devid, emu)
        if value is None:
            value = "backend/vif/%d/%d" % (vm.domid, devid)
        directory = os.path.join(self._device_dir(ifname), "device")
        os.makedirs(directory, exist_ok=True)
        with open(os.path.join(directory, "nodename"), "w") as handle:
            handle.write(value + "\n")

    def remove(self, ifname):
        """A device's entry, gone with the device."""
        shutil.rmtree(self._device_dir(ifname), ignore_errors=True)
