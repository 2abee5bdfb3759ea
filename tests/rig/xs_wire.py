# SPDX-License-Identifier: ISC
"""The xenstore wire protocol's constants (xen/io/xs_wire.h), shared by
the simulator and the client so that both speak the same protocol."""

import struct

XS_CONTROL = 0
XS_DIRECTORY = 1
XS_READ = 2
XS_GET_PERMS = 3
XS_WATCH = 4
XS_UNWATCH = 5
XS_TRANSACTION_START = 6
XS_TRANSACTION_END = 7
XS_INTRODUCE = 8
XS_RELEASE = 9
XS_GET_DOMAIN_PATH = 10
XS_WRITE = 11
XS_MKDIR = 12
XS_RM = 13
XS_SET_PERMS = 14
XS_WATCH_EVENT = 15
XS_ERROR = 16
XS_IS_DOMAIN_INTRODUCED = 17
XS_RESUME = 18
XS_SET_TARGET = 19
# 20 was XS_RESTRICT, which has been removed.
XS_RESET_WATCHES = 21
XS_DIRECTORY_PART = 22

# Every message starts with: type, req_id, tx_id, len (native byte order).
HEADER = struct.Struct("=IIII")
XENSTORE_PAYLOAD_MAX = 4096
XENSTORE_ABS_PATH_MAX = 3072
XENSTORE_REL_PATH_MAX = 2048
