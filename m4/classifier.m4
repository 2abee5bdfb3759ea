# SPDX-License-Identifier: ISC
# XV_CHECK_CLASSIFIER: what the eBPF classifier (bpf/, lib/classifier.c)
# is built with, for --enable-classifier[=auto|yes|no] (default auto).
#
#  - clang with the bpf target compiles bpf/xv_classify.bpf.c (CLANG;
#    the C compiler itself may be gcc).  Its includes are the kernel's
#    UAPI headers (linux-libc-dev) and libbpf's bpf_helpers.h; the UAPI
#    headers include <asm/types.h>, which Debian keeps under the host's
#    multiarch directory, where clang -target bpf does not look: that
#    directory is added when it is needed (BPF_CPPFLAGS).
#  - bpftool gen skeleton embeds the object into the library (BPFTOOL;
#    Debian installs it in /usr/sbin).
#  - libbpf, through pkg-config, loads and attaches it: 0.8 or later
#    (bpf_tc_*, bpf_map_lookup_batch, pin_root_path; Debian 12 has 1.1).
#
# With auto, anything missing builds lib/classifier_none.c instead and
# says why; with yes, it is an error.  Sets XV_CLASSIFIER (conditional
# CLASSIFIER, define HAVE_CLASSIFIER), CLANG, BPFTOOL, BPF_CPPFLAGS,
# LIBBPF_CFLAGS, LIBBPF_LIBS.
AC_DEFUN([XV_CHECK_CLASSIFIER], [
  AC_ARG_ENABLE([classifier],
    [AS_HELP_STRING([--enable-classifier@<:@=auto|yes|no@:>@],
                    [the eBPF classifier that counts flooded frames apart
                     (needs clang with the bpf target, bpftool and libbpf;
                     default: auto, built if they are there)])],
    [], [enable_classifier=auto])
  AS_CASE([$enable_classifier],
    [auto|yes|no], [],
    [AC_MSG_ERROR([--enable-classifier=$enable_classifier: expected auto, yes or no])])
  AC_ARG_VAR([CLANG], [clang, for the eBPF classifier's bpf target])
  AC_ARG_VAR([BPFTOOL], [bpftool, for the eBPF classifier's skeleton])
  xv_classifier_missing=""
  BPF_CPPFLAGS=""
  AS_IF([test "x$enable_classifier" != xno], [
    AC_PATH_PROGS([CLANG], [clang clang-19 clang-18 clang-17 clang-16 clang-15 clang-14], [no])
    AC_PATH_PROG([BPFTOOL], [bpftool], [no], [$PATH$PATH_SEPARATOR/usr/sbin$PATH_SEPARATOR/sbin])
    PKG_CHECK_MODULES([LIBBPF], [libbpf >= 0.8], [],
      [xv_classifier_missing="$xv_classifier_missing
    libbpf 0.8 or later through pkg-config (libbpf.pc; Debian: libbpf-dev)"])
    AS_IF([test "x$CLANG" = xno],
      [xv_classifier_missing="$xv_classifier_missing
    clang (Debian: clang)"],
      [AC_MSG_CHECKING([whether $CLANG compiles for the bpf target])
       cat >conftest.bpf.c <<XV_EOF
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xv_conftest SEC(".maps");
SEC("tc") int xv_conftest_prog(struct __sk_buff *skb)
{
	__u32 k = skb->ifindex;
	return bpf_map_lookup_elem(&xv_conftest, &k) ? TC_ACT_UNSPEC : TC_ACT_OK;
}
char LICENSE@<:@@:>@ SEC("license") = "ISC";
XV_EOF
       xv_bpf_ok=no
       xv_multiarch=`$CC -print-multiarch 2>/dev/null`
       test -n "$xv_multiarch" || xv_multiarch=`$CLANG -print-multiarch 2>/dev/null`
       for xv_flags in "" ${xv_multiarch:+"-I/usr/include/$xv_multiarch"}; do
         AS_IF([$CLANG -target bpf -O2 -g $xv_flags $LIBBPF_CFLAGS -c conftest.bpf.c \
                  -o conftest.bpf.o >&AS_MESSAGE_LOG_FD 2>&1],
           [xv_bpf_ok=yes; BPF_CPPFLAGS=$xv_flags; break])
       done
       AC_MSG_RESULT([$xv_bpf_ok${BPF_CPPFLAGS:+ (with $BPF_CPPFLAGS)}])
       AS_IF([test "x$xv_bpf_ok" = xno],
         [xv_classifier_missing="$xv_classifier_missing
    $CLANG cannot compile for the bpf target with the kernel's headers
    (Debian: clang, linux-libc-dev, libbpf-dev; see config.log)"],
         [test "x$BPFTOOL" != xno],
         [AC_MSG_CHECKING([whether $BPFTOOL makes skeletons])
          AS_IF([$BPFTOOL gen skeleton conftest.bpf.o name xv_conftest \
                   >conftest.skel.h 2>&AS_MESSAGE_LOG_FD],
            [AC_MSG_RESULT([yes])],
            [AC_MSG_RESULT([no])
             xv_classifier_missing="$xv_classifier_missing
    $BPFTOOL cannot make skeletons (bpftool gen skeleton; see config.log)"])])
       rm -f conftest.bpf.c conftest.bpf.o conftest.skel.h])
    AS_IF([test "x$BPFTOOL" = xno],
      [xv_classifier_missing="$xv_classifier_missing
    bpftool (Debian: bpftool)"])
    AS_IF([test -n "$xv_classifier_missing"],
      [AS_IF([test "x$enable_classifier" = xyes],
        [AC_MSG_ERROR([--enable-classifier: missing:$xv_classifier_missing])],
        [AC_MSG_WARN([building without the eBPF classifier; missing:$xv_classifier_missing])
         enable_classifier=no])],
      [enable_classifier=yes])
  ])
  xv_classifier_summary=no
  AS_IF([test "x$enable_classifier" = xyes],
    [AC_DEFINE([HAVE_CLASSIFIER], [1],
      [Define to 1 if the eBPF classifier is built (else its stub).])
     xv_classifier_summary="yes ($CLANG${BPF_CPPFLAGS:+ $BPF_CPPFLAGS}, $BPFTOOL, libbpf `$PKG_CONFIG --modversion libbpf`)"])
  AM_CONDITIONAL([CLASSIFIER], [test "x$enable_classifier" = xyes])
  AC_SUBST([BPF_CPPFLAGS])
])
