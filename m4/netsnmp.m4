# SPDX-License-Identifier: ISC
# XV_CHECK_NETSNMP: find net-snmp's agent library for an AgentX subagent.
#
# net-snmp-config --agent-libs also drags in the MIB modules of snmpd
# and their libraries (sensors, pci, wrap), which a subagent never
# calls; ask for the two libraries we use and link-check them.  The
# compiler flags net-snmp-config reports are those net-snmp itself was
# built with (optimisation, perl's include directory, _FORTIFY_SOURCE,
# a "linux" macro dance for its own build);
# only the -I and -D that its headers need are kept.
AC_DEFUN([XV_CHECK_NETSNMP], [
  AC_ARG_WITH([net-snmp-config],
    [AS_HELP_STRING([--with-net-snmp-config=PATH],
                    [the net-snmp-config program to ask (default: found on PATH)])],
    [NETSNMP_CONFIG="$withval"],
    [AC_PATH_PROG([NETSNMP_CONFIG], [net-snmp-config], [no])])
  AS_IF([test "x$NETSNMP_CONFIG" = xno || test ! -x "$NETSNMP_CONFIG"],
    [AC_MSG_ERROR([net-snmp-config not found: install net-snmp's development
files (Debian: apt-get install libsnmp-dev; Fedora: dnf install net-snmp-devel)
or point --with-net-snmp-config at it])])

  AC_MSG_CHECKING([net-snmp version])
  NETSNMP_VERSION=`$NETSNMP_CONFIG --version 2>/dev/null`
  AC_MSG_RESULT([$NETSNMP_VERSION])
  AS_CASE([$NETSNMP_VERSION],
    [5.[[0-7]].*|[[0-4]].*|""],
      [AC_MSG_ERROR([net-snmp 5.8 or later is needed, found '$NETSNMP_VERSION'])])

  NETSNMP_CFLAGS=""
  for flag in `$NETSNMP_CONFIG --base-cflags`; do
    AS_CASE([$flag],
      [-I*perl*], [],
      [-D_FORTIFY_SOURCE*], [],
      [-Dlinux=*], [],
      [-I*|-D*], [NETSNMP_CFLAGS="$NETSNMP_CFLAGS $flag"])
  done
  NETSNMP_LIBS=""
  for flag in `$NETSNMP_CONFIG --libdir`; do
    AS_CASE([$flag], [-L*], [NETSNMP_LIBS="$NETSNMP_LIBS $flag"])
  done
  NETSNMP_LIBS="$NETSNMP_LIBS -lnetsnmpagent -lnetsnmp"

  xv_save_CFLAGS="$CFLAGS"
  xv_save_LIBS="$LIBS"
  CFLAGS="$CFLAGS $NETSNMP_CFLAGS"
  LIBS="$NETSNMP_LIBS $LIBS"
  AC_MSG_CHECKING([whether a net-snmp subagent links])
  AC_LINK_IFELSE([AC_LANG_PROGRAM([[
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>
]], [[
netsnmp_ds_set_boolean(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_ROLE, 1);
init_agent("conftest");
(void)netsnmp_register_handler(NULL);
(void)send_v2trap(NULL);
]])],
    [AC_MSG_RESULT([yes])],
    [AC_MSG_RESULT([no])
     AC_MSG_ERROR([cannot link against net-snmp's agent library with
$NETSNMP_LIBS; see config.log])])
  # API the agent uses that older net-snmp releases lack (5.7 has all).
  AC_CHECK_FUNCS([netsnmp_register_callback netsnmp_daemonize send_v3trap], [],
    [AC_MSG_ERROR([net-snmp lacks $ac_func: net-snmp 5.7 or later is needed])])
  CFLAGS="$xv_save_CFLAGS"
  LIBS="$xv_save_LIBS"
  # Where net-snmp's tools and agents look for MIBs by default: the
  # first system directory of its search path (not ~/.snmp/mibs).
  NETSNMP_MIBDIR=""
  xv_save_IFS=$IFS
  IFS=:
  for dir in `$NETSNMP_CONFIG --default-mibdirs 2>/dev/null`; do
    AS_CASE([$dir], [*'$HOME'*|"$HOME"/*|""], [],
      [test -z "$NETSNMP_MIBDIR" && NETSNMP_MIBDIR=$dir])
  done
  # Likewise where they look for configuration: the first directory of
  # SNMPCONFPATH (Debian: /etc/snmp).
  NETSNMP_CONFDIR=""
  IFS=:
  for dir in `$NETSNMP_CONFIG --snmpconfpath 2>/dev/null`; do
    AS_CASE([$dir], [*'$HOME'*|"$HOME"/*|""], [],
      [test -z "$NETSNMP_CONFDIR" && NETSNMP_CONFDIR=$dir])
  done
  IFS=$xv_save_IFS
  AC_SUBST([NETSNMP_CFLAGS])
  AC_SUBST([NETSNMP_LIBS])
])
