#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""Send exact Ethernet frames out of one network device.

Usage: send_frames.py IFNAME COUNT SIZE DSTMAC [SRCMAC]

Sends COUNT frames of exactly SIZE bytes (Ethernet header included, FCS
excluded, 60 <= SIZE <= 1514) through an AF_PACKET socket bound to IFNAME,
so they bypass every protocol stack and the sender's tx counters (and the
peer's rx counters, for a veth) grow by exactly COUNT frames and
COUNT * SIZE bytes.  The source address is IFNAME's own MAC unless SRCMAC
is given (a guest forging its address); the ethertype
is 0x88b5 (IEEE 802 "local experimental"), which no stack handles.

Run it inside the device's namespace: ip netns exec NS send_frames.py ...
Exit status: 0 when every frame was handed to the device, 1 on a send
error, 2 on bad arguments.
"""

import socket
import struct
import sys

ETH_P_EXPERIMENTAL = 0x88B5
MIN_FRAME = 60
MAX_FRAME = 1514


def parse_mac(text):
    parts = text.split(":")
    if len(parts) != 6:
        raise ValueError("bad MAC address %r" % text)
    return bytes(int(p, 16) for p in parts)


def build_frame(dst, src, size, seq):
    """A frame of exactly size bytes; the payload carries a sequence
    number so a capture can tell frames apart."""
    header = dst + src + struct.pack("!H", ETH_P_EXPERIMENTAL)
    body = struct.pack("!I", seq) + b"xva-test-frame"
    payload_len = size - len(header)
    body = (body * (payload_len // len(body) + 1))[:payload_len]
    return header + body


def send(ifname, count, size, dst, src=None):
    with socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0) as sock:
        # Protocol 0 on bind: send only, never receive anything.
        sock.bind((ifname, 0))
        src = src or sock.getsockname()[4]
        for seq in range(count):
            frame = build_frame(dst, src, size, seq)
            sent = sock.send(frame)
            if sent != size:
                raise OSError("short send: %d of %d bytes" % (sent, size))


def main(argv):
    if len(argv) not in (5, 6):
        sys.stderr.write(__doc__)
        return 2
    try:
        ifname = argv[1]
        count = int(argv[2])
        size = int(argv[3])
        dst = parse_mac(argv[4])
        src = parse_mac(argv[5]) if len(argv) == 6 else None
        if count < 0 or not MIN_FRAME <= size <= MAX_FRAME:
            raise ValueError("need COUNT >= 0 and %d <= SIZE <= %d"
                             % (MIN_FRAME, MAX_FRAME))
    except ValueError as err:
        sys.stderr.write("send_frames: %s\n" % err)
        return 2
    try:
        send(ifname, count, size, dst, src)
    except OSError as err:
        sys.stderr.write("send_frames: %s: %s\n" % (ifname, err))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
