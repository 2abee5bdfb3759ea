/* SPDX-License-Identifier: ISC */
/*
 * fakexc.c - a simulated Xen hypervisor for libxenstat, loaded with
 * LD_PRELOAD.
 *
 * No hypervisor runs on the test machines, yet the agent reads VM resources
 * through the real libxenstat (Xen 4.17).  libxenstat reaches the hypervisor
 * only through these libxenctrl functions (nm -D --undefined-only
 * libxenstat.so.4.17), called through the PLT, so definitions preloaded
 * into the process take precedence over the real libxenctrl:
 *
 *   xc_interface_open       xenstat_init
 *   xc_interface_close      xenstat_init (on error), xenstat_uninit
 *   xc_physinfo             xenstat_get_node: cpus, cpu_hz, tot/free mem
 *   xc_domain_getinfolist   xenstat_get_node: the domains; also the VBD
 *                           collector (qdisk statistics)
 *   xc_vcpu_getinfo         XENSTAT_VCPU collector, once per vcpu
 *   xc_version              XENSTAT_XEN_VERSION collector
 *
 * This library defines exactly those six and nothing else; the real
 * libxenctrl stays loaded but is never entered, so nothing touches
 * /dev/xen.  Domain names come from xenstore (/local/domain/D/name, see
 * xenstored_sim.py and XENSTORED_PATH) and network counters from the
 * kernel's /proc/net/dev: neither passes through here.
 *
 * Build: cc -Wall -Wextra -Werror -fPIC -shared -o fakexc.so fakexc.c
 *
 * FIXTURE
 *
 * The state of the simulated hypervisor is the text file named by the
 * environment variable XVA_FAKEXC_FIXTURE.  Every call reads the file
 * again (and parses it again when its bytes changed), so a test changes
 * the state between two calls by replacing the file; replace it
 * atomically (write a temporary file, rename it over the fixture) so a
 * call never sees half a file.
 *
 * One statement per line; words are separated by blanks; '#' starts a
 * comment; blank lines are ignored.  Numbers are decimal.
 *
 *   nohypervisor
 *       Behave like a machine without Xen: see ERRORS.
 *
 *   physinfo [cpus=N] [cpu_khz=N] [total_pages=N] [free_pages=N]
 *       At most once.  Defaults: cpus=1 cpu_khz=2000000
 *       total_pages=1048576 free_pages=0.
 *
 *   version [major=N] [minor=N] [extra=TEXT]
 *       At most once.  Defaults: major=4 minor=17 extra=.0 (TEXT at most
 *       15 characters).  libxenstat shows "MAJOR.MINOR" followed by TEXT.
 *
 *   domain ID [state=S[,S...]] [shutdown_reason=R] [vcpus=N]
 *             [online_vcpus=N] [cpu_ns=N] [tot_pages=N]
 *             [max_pages=N|unlimited] [ssidref=N] [hvm=0|1]
 *       One per domain, ID < 32752 (DOMID_FIRST_RESERVED), any order.
 *       S is one of running, blocked, paused, shutdown, crashed, dying or
 *       none; several may be combined (state=paused,blocked).  They set
 *       the XEN_DOMINF_* flags of the domain's getdomaininfo record:
 *         running  -> XEN_DOMINF_running
 *         blocked  -> XEN_DOMINF_blocked
 *         paused   -> XEN_DOMINF_paused
 *         shutdown -> XEN_DOMINF_shutdown, with shutdown_reason R (poweroff,
 *                     reboot, suspend, crash, watchdog, soft_reset or a
 *                     number 0..255; default poweroff) in bits 16..23
 *         crashed  -> XEN_DOMINF_shutdown with reason SHUTDOWN_crash, which
 *                     libxenstat reports as crashed and not as shutdown
 *         dying    -> XEN_DOMINF_dying
 *       Defaults: state=running vcpus=1 online_vcpus=vcpus cpu_ns=0
 *       tot_pages=0 max_pages=tot_pages ssidref=0 hvm=0.  vcpus=0 reports
 *       max_vcpu_id = XEN_INVALID_MAX_VCPU_ID.  max_pages=unlimited is
 *       what Xen reports for a domain without limit (0xffffffff pages).
 *
 *   vcpu DOMID VCPUID [online=0|1] [cpu_ns=N] [cpu=N]
 *       VCPUID < the domain's vcpus.  A vcpu without a line is online
 *       when VCPUID < online_vcpus, with cpu_ns=0 and cpu=VCPUID % cpus.
 *
 *   fail FUNCTION ERRNO [domid=N]
 *       FUNCTION (one of the six above) fails: it returns -1 (NULL for
 *       xc_interface_open) with errno ERRNO, a name such as ESRCH or a
 *       number.  domid=N (xc_vcpu_getinfo only) limits the failure to
 *       that domain.  The first matching line wins.
 *
 * Example:
 *   physinfo cpus=4 cpu_khz=2400000 total_pages=4194304 free_pages=1048576
 *   version major=4 minor=17 extra=.7
 *   domain 0 vcpus=2 cpu_ns=5000000000 tot_pages=262144 max_pages=unlimited
 *   domain 5 state=blocked vcpus=2 tot_pages=131072 max_pages=131328
 *   vcpu 5 1 online=0
 *
 * ERRORS
 *
 * A missing fixture file, or one saying "nohypervisor", is a dom0 without
 * Xen: xc_interface_open returns NULL with errno ENOENT after printing the
 * line real libxencall prints on stderr when /dev/xen/privcmd is absent
 * ("xencall: error: Could not obtain handle on privileged command
 * interface: No such file or directory"); "fail xc_interface_open E"
 * prints the same line with E's text.  If the fixture vanishes or turns
 * into "nohypervisor" after a handle was opened, later calls fail with
 * ENOENT, silently, like the failing hypercalls of real libxenctrl.
 *
 * A line this library does not understand is reported on stderr as
 * "fakexc: FILE:LINE: problem" each time the file is parsed (a NUL byte
 * as "fakexc: FILE: contains a NUL byte"); every call then fails with
 * EINVAL until the file is fixed.  XVA_FAKEXC_FIXTURE
 * unset is reported too (and treated as a missing file).  Nothing here
 * aborts or exits: the worst a bad fixture does is make calls fail.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xenctrl.h>

#define FIXTURE_ENV "XVA_FAKEXC_FIXTURE"
#define MAX_FIXTURE_BYTES (64u << 20)   /* a fixture is text, not a disk */
#define MAX_VCPUS 4096u                 /* bounds what a typo can allocate */
#define MAX_WORDS 32
#define HANDLE_MAGIC 0x66616b65u        /* "fake" */

/* Deliberately exported: the six functions libxenstat uses.  Everything
 * else has internal linkage so the preload cannot shadow anything else. */
#define EXPORT __attribute__((visibility("default")))

/* ------------------------------------------------------------------------
 * The parsed fixture
 * --------------------------------------------------------------------- */

struct fx_vcpu {
    unsigned online;
    uint64_t cpu_ns;
    uint32_t cpu;
};

struct fx_domain {
    uint32_t id;
    uint32_t flags;             /* XEN_DOMINF_* as getdomaininfo has them */
    uint32_t nr_vcpus;
    uint32_t online_vcpus;
    uint64_t cpu_ns;
    uint64_t tot_pages;
    uint64_t max_pages;
    uint32_t ssidref;
    struct fx_vcpu *vcpus;      /* nr_vcpus entries */
    unsigned line;              /* for messages */
};

/* A "vcpu" line, kept until every domain line has been read. */
struct fx_vcpu_line {
    uint32_t domid, vcpuid;
    int has_online, has_cpu_ns, has_cpu;
    struct fx_vcpu v;
    unsigned line;
};

struct fx_failure {
    char func[32];
    int err;
    int any_domain;
    uint32_t domid;
};

struct fixture {
    int nohypervisor;

    int has_physinfo;
    uint32_t cpus, cpu_khz;
    uint64_t total_pages, free_pages;

    int has_version;
    uint32_t ver_major, ver_minor;
    char ver_extra[XEN_EXTRAVERSION_LEN];

    struct fx_domain *doms;     /* sorted by id once parsed */
    size_t ndoms, doms_cap;

    struct fx_vcpu_line *vlines;
    size_t nvlines, vlines_cap;

    struct fx_failure *fails;
    size_t nfails, fails_cap;
};

/* What a "fail" line may name: the simulated functions. */
static const char *const intercepted[] = {
    "xc_interface_open", "xc_interface_close", "xc_physinfo",
    "xc_domain_getinfolist", "xc_vcpu_getinfo", "xc_version",
};

static void fixture_free(struct fixture *fx)
{
    size_t i;

    if (!fx)
        return;
    for (i = 0; i < fx->ndoms; i++)
        free(fx->doms[i].vcpus);
    free(fx->doms);
    free(fx->vlines);
    free(fx->fails);
    free(fx);
}

static struct fixture *fixture_new(void)
{
    struct fixture *fx = calloc(1, sizeof(*fx));

    if (!fx)
        return NULL;
    fx->cpus = 1;
    fx->cpu_khz = 2000000;
    fx->total_pages = 1048576;
    fx->ver_major = 4;
    fx->ver_minor = 17;
    strcpy(fx->ver_extra, ".0");
    return fx;
}

/* Grow *arr (of elem-sized items) so one more fits; 0 or -1 (ENOMEM). */
static int grow(void **arr, size_t *cap, size_t n, size_t elem)
{
    size_t ncap;
    void *p;

    if (n < *cap)
        return 0;
    ncap = *cap ? *cap * 2 : 16;
    p = realloc(*arr, ncap * elem);
    if (!p)
        return -1;
    *arr = p;
    *cap = ncap;
    return 0;
}

/* ------------------------------------------------------------------------
 * Parsing
 * --------------------------------------------------------------------- */

struct parse_ctx {
    const char *file;
    unsigned line;
    int errors;
    int out_of_memory;
};

static void __attribute__((format(printf, 2, 3)))
parse_error(struct parse_ctx *ctx, const char *fmt, ...)
{
    va_list ap;

    ctx->errors++;
    fprintf(stderr, "fakexc: %s:%u: ", ctx->file, ctx->line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

/* Strict decimal: digits only, no sign, no overflow past max. */
static int parse_uint(const char *s, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;

    if (!*s)
        return -1;
    for (; *s; s++) {
        unsigned d;

        if (*s < '0' || *s > '9')
            return -1;
        d = (unsigned)(*s - '0');
        if (v > (max - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

/* The number in val (of key=val) into *out, or -1 after a message. */
static int uint_value(struct parse_ctx *ctx, const char *key, const char *val,
                      uint64_t max, uint64_t *out)
{
    if (parse_uint(val, max, out) == 0)
        return 0;
    parse_error(ctx, "%s=%s: expected a decimal number up to %llu", key, val,
                (unsigned long long)max);
    return -1;
}

static int u32_value(struct parse_ctx *ctx, const char *key, const char *val,
                     uint32_t *out)
{
    uint64_t v;

    if (uint_value(ctx, key, val, UINT32_MAX, &v) < 0)
        return -1;
    *out = (uint32_t)v;
    return 0;
}

static int bool_value(struct parse_ctx *ctx, const char *key, const char *val,
                      unsigned *out)
{
    if (strcmp(val, "0") == 0 || strcmp(val, "1") == 0) {
        *out = (unsigned)(val[0] - '0');
        return 0;
    }
    parse_error(ctx, "%s=%s: expected 0 or 1", key, val);
    return -1;
}

/* Split "key=value" in place; NULL (with a message) if there is no '='. */
static char *split_kv(struct parse_ctx *ctx, char *word)
{
    char *eq = strchr(word, '=');

    if (!eq || eq == word) {
        parse_error(ctx, "'%s': expected key=value", word);
        return NULL;
    }
    *eq = '\0';
    return eq + 1;
}

static const struct {
    const char *name;
    int value;
} errno_names[] = {
    { "EPERM", EPERM }, { "ENOENT", ENOENT }, { "ESRCH", ESRCH },
    { "EINTR", EINTR }, { "EIO", EIO }, { "ENXIO", ENXIO },
    { "E2BIG", E2BIG }, { "EBADF", EBADF }, { "EAGAIN", EAGAIN },
    { "ENOMEM", ENOMEM }, { "EACCES", EACCES }, { "EFAULT", EFAULT },
    { "EBUSY", EBUSY }, { "EEXIST", EEXIST }, { "ENODEV", ENODEV },
    { "EINVAL", EINVAL }, { "ENOSPC", ENOSPC }, { "ERANGE", ERANGE },
    { "ENOSYS", ENOSYS }, { "EOPNOTSUPP", EOPNOTSUPP },
    { "ETIMEDOUT", ETIMEDOUT }, { "ECONNREFUSED", ECONNREFUSED },
    { "ENOTCONN", ENOTCONN }, { "EOVERFLOW", EOVERFLOW },
};

static int parse_errno(const char *s, int *out)
{
    uint64_t v;
    size_t i;

    for (i = 0; i < sizeof(errno_names) / sizeof(errno_names[0]); i++) {
        if (strcmp(s, errno_names[i].name) == 0) {
            *out = errno_names[i].value;
            return 0;
        }
    }
    if (parse_uint(s, 4095, &v) == 0 && v > 0) {
        *out = (int)v;
        return 0;
    }
    return -1;
}

static int parse_shutdown_reason(const char *s, uint32_t *out)
{
    static const char *const names[] = {
        [SHUTDOWN_poweroff] = "poweroff", [SHUTDOWN_reboot] = "reboot",
        [SHUTDOWN_suspend] = "suspend", [SHUTDOWN_crash] = "crash",
        [SHUTDOWN_watchdog] = "watchdog", [SHUTDOWN_soft_reset] = "soft_reset",
    };
    uint64_t v;
    size_t i;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcmp(s, names[i]) == 0) {
            *out = (uint32_t)i;
            return 0;
        }
    }
    if (parse_uint(s, XEN_DOMINF_shutdownmask, &v) == 0) {
        *out = (uint32_t)v;
        return 0;
    }
    return -1;
}

/* state=running,blocked,... into XEN_DOMINF_* flags; *crashed tells the
 * caller that the shutdown reason is fixed to SHUTDOWN_crash. */
static int parse_state(struct parse_ctx *ctx, char *val, uint32_t *flags,
                       int *crashed)
{
    char *save = NULL, *s;

    *flags = 0;
    *crashed = 0;
    for (s = strtok_r(val, ",", &save); s; s = strtok_r(NULL, ",", &save)) {
        if (strcmp(s, "running") == 0)
            *flags |= XEN_DOMINF_running;
        else if (strcmp(s, "blocked") == 0)
            *flags |= XEN_DOMINF_blocked;
        else if (strcmp(s, "paused") == 0)
            *flags |= XEN_DOMINF_paused;
        else if (strcmp(s, "shutdown") == 0)
            *flags |= XEN_DOMINF_shutdown;
        else if (strcmp(s, "crashed") == 0) {
            *flags |= XEN_DOMINF_shutdown;
            *crashed = 1;
        } else if (strcmp(s, "dying") == 0)
            *flags |= XEN_DOMINF_dying;
        else if (strcmp(s, "none") != 0) {
            parse_error(ctx, "state: unknown state '%s' (running, blocked, "
                        "paused, shutdown, crashed, dying, none)", s);
            return -1;
        }
    }
    return 0;
}

static void parse_physinfo(struct parse_ctx *ctx, struct fixture *fx,
                           char **w, int n)
{
    int i;

    if (fx->has_physinfo) {
        parse_error(ctx, "a second physinfo line");
        return;
    }
    fx->has_physinfo = 1;
    for (i = 1; i < n; i++) {
        char *val = split_kv(ctx, w[i]);

        if (!val)
            continue;
        if (strcmp(w[i], "cpus") == 0)
            u32_value(ctx, w[i], val, &fx->cpus);
        else if (strcmp(w[i], "cpu_khz") == 0)
            u32_value(ctx, w[i], val, &fx->cpu_khz);
        else if (strcmp(w[i], "total_pages") == 0)
            uint_value(ctx, w[i], val, UINT64_MAX, &fx->total_pages);
        else if (strcmp(w[i], "free_pages") == 0)
            uint_value(ctx, w[i], val, UINT64_MAX, &fx->free_pages);
        else
            parse_error(ctx, "physinfo: unknown key '%s'", w[i]);
    }
}

static void parse_version(struct parse_ctx *ctx, struct fixture *fx,
                          char **w, int n)
{
    int i;

    if (fx->has_version) {
        parse_error(ctx, "a second version line");
        return;
    }
    fx->has_version = 1;
    for (i = 1; i < n; i++) {
        char *val = split_kv(ctx, w[i]);
        uint64_t v;

        if (!val)
            continue;
        if (strcmp(w[i], "major") == 0) {
            if (uint_value(ctx, w[i], val, 0xffff, &v) == 0)
                fx->ver_major = (uint32_t)v;
        } else if (strcmp(w[i], "minor") == 0) {
            if (uint_value(ctx, w[i], val, 0xffff, &v) == 0)
                fx->ver_minor = (uint32_t)v;
        } else if (strcmp(w[i], "extra") == 0) {
            if (strlen(val) >= sizeof(fx->ver_extra))
                parse_error(ctx, "extra=%s: longer than %zu characters", val,
                            sizeof(fx->ver_extra) - 1);
            else
                strcpy(fx->ver_extra, val);
        } else
            parse_error(ctx, "version: unknown key '%s'", w[i]);
    }
}

/* The key=value words of a domain line, applied to *d. */
static void domain_keys(struct parse_ctx *ctx, struct fx_domain *d,
                        char **w, int n)
{
    uint32_t reason = SHUTDOWN_poweroff;
    int has_reason = 0, has_online = 0, has_max = 0, crashed = 0;
    unsigned hvm = 0;
    uint64_t v;
    int i;

    d->flags = XEN_DOMINF_running;
    d->nr_vcpus = 1;
    for (i = 2; i < n; i++) {
        char *val = split_kv(ctx, w[i]);

        if (!val)
            continue;
        if (strcmp(w[i], "state") == 0)
            parse_state(ctx, val, &d->flags, &crashed);
        else if (strcmp(w[i], "shutdown_reason") == 0) {
            if (parse_shutdown_reason(val, &reason) == 0)
                has_reason = 1;
            else
                parse_error(ctx, "shutdown_reason=%s: expected poweroff, "
                            "reboot, suspend, crash, watchdog, soft_reset "
                            "or 0..255", val);
        } else if (strcmp(w[i], "vcpus") == 0) {
            if (uint_value(ctx, w[i], val, MAX_VCPUS, &v) == 0)
                d->nr_vcpus = (uint32_t)v;
        } else if (strcmp(w[i], "online_vcpus") == 0) {
            if (uint_value(ctx, w[i], val, MAX_VCPUS, &v) == 0) {
                d->online_vcpus = (uint32_t)v;
                has_online = 1;
            }
        } else if (strcmp(w[i], "cpu_ns") == 0)
            uint_value(ctx, w[i], val, UINT64_MAX, &d->cpu_ns);
        else if (strcmp(w[i], "tot_pages") == 0)
            uint_value(ctx, w[i], val, UINT64_MAX, &d->tot_pages);
        else if (strcmp(w[i], "max_pages") == 0) {
            has_max = 1;
            if (strcmp(val, "unlimited") == 0)
                d->max_pages = UINT32_MAX;  /* Xen's "no limit" */
            else
                uint_value(ctx, w[i], val, UINT64_MAX, &d->max_pages);
        } else if (strcmp(w[i], "ssidref") == 0)
            u32_value(ctx, w[i], val, &d->ssidref);
        else if (strcmp(w[i], "hvm") == 0)
            bool_value(ctx, w[i], val, &hvm);
        else
            parse_error(ctx, "domain: unknown key '%s'", w[i]);
    }

    if (crashed && has_reason && reason != SHUTDOWN_crash)
        parse_error(ctx, "state crashed contradicts shutdown_reason");
    if (crashed)
        reason = SHUTDOWN_crash;
    if (has_reason && !(d->flags & XEN_DOMINF_shutdown))
        parse_error(ctx, "shutdown_reason without state shutdown");
    if (d->flags & XEN_DOMINF_shutdown)
        d->flags |= reason << XEN_DOMINF_shutdownshift;
    if (hvm)
        d->flags |= XEN_DOMINF_hvm_guest | XEN_DOMINF_hap;
    if (!has_online)
        d->online_vcpus = d->nr_vcpus;
    else if (d->online_vcpus > d->nr_vcpus)
        parse_error(ctx, "online_vcpus=%u exceeds vcpus=%u", d->online_vcpus,
                    d->nr_vcpus);
    if (!has_max)
        d->max_pages = d->tot_pages;
}

static void parse_domain(struct parse_ctx *ctx, struct fixture *fx,
                         char **w, int n)
{
    struct fx_domain *d;
    uint64_t id;

    if (n < 2 || parse_uint(w[1], DOMID_FIRST_RESERVED - 1, &id) < 0) {
        parse_error(ctx, "domain: expected a domain id below %u",
                    (unsigned)DOMID_FIRST_RESERVED);
        return;
    }
    if (grow((void **)&fx->doms, &fx->doms_cap, fx->ndoms, sizeof(*d)) < 0) {
        ctx->out_of_memory = 1;
        return;
    }
    d = &fx->doms[fx->ndoms++];
    memset(d, 0, sizeof(*d));
    d->id = (uint32_t)id;
    d->line = ctx->line;
    domain_keys(ctx, d, w, n);
}

static void parse_vcpu(struct parse_ctx *ctx, struct fixture *fx,
                       char **w, int n)
{
    struct fx_vcpu_line *vl;
    uint64_t domid, vcpuid;
    int i;

    if (n < 3 || parse_uint(w[1], DOMID_FIRST_RESERVED - 1, &domid) < 0 ||
        parse_uint(w[2], MAX_VCPUS - 1, &vcpuid) < 0) {
        parse_error(ctx, "vcpu: expected 'vcpu DOMID VCPUID key=value...'");
        return;
    }
    if (grow((void **)&fx->vlines, &fx->vlines_cap, fx->nvlines,
             sizeof(*vl)) < 0) {
        ctx->out_of_memory = 1;
        return;
    }
    vl = &fx->vlines[fx->nvlines++];
    memset(vl, 0, sizeof(*vl));
    vl->domid = (uint32_t)domid;
    vl->vcpuid = (uint32_t)vcpuid;
    vl->line = ctx->line;
    for (i = 3; i < n; i++) {
        char *val = split_kv(ctx, w[i]);

        if (!val)
            continue;
        if (strcmp(w[i], "online") == 0)
            vl->has_online = bool_value(ctx, w[i], val, &vl->v.online) == 0;
        else if (strcmp(w[i], "cpu_ns") == 0)
            vl->has_cpu_ns = uint_value(ctx, w[i], val, UINT64_MAX,
                                        &vl->v.cpu_ns) == 0;
        else if (strcmp(w[i], "cpu") == 0)
            vl->has_cpu = u32_value(ctx, w[i], val, &vl->v.cpu) == 0;
        else
            parse_error(ctx, "vcpu: unknown key '%s'", w[i]);
    }
}

static void parse_fail(struct parse_ctx *ctx, struct fixture *fx,
                       char **w, int n)
{
    struct fx_failure *f;
    size_t i;
    int known = 0, err;
    uint64_t domid;

    if (n < 3 || n > 4) {
        parse_error(ctx, "fail: expected 'fail FUNCTION ERRNO [domid=N]'");
        return;
    }
    for (i = 0; i < sizeof(intercepted) / sizeof(intercepted[0]); i++)
        known |= strcmp(w[1], intercepted[i]) == 0;
    if (!known) {
        parse_error(ctx, "fail: '%s' is not a simulated function", w[1]);
        return;
    }
    if (parse_errno(w[2], &err) < 0) {
        parse_error(ctx, "fail: '%s' is not an errno name or number", w[2]);
        return;
    }
    if (grow((void **)&fx->fails, &fx->fails_cap, fx->nfails,
             sizeof(*f)) < 0) {
        ctx->out_of_memory = 1;
        return;
    }
    f = &fx->fails[fx->nfails++];
    memset(f, 0, sizeof(*f));
    snprintf(f->func, sizeof(f->func), "%s", w[1]);
    f->err = err;
    f->any_domain = 1;
    if (n == 4) {
        if (strcmp(w[1], "xc_vcpu_getinfo") != 0) {
            parse_error(ctx, "fail: domid= applies to xc_vcpu_getinfo only");
        } else if (strncmp(w[3], "domid=", 6) != 0 ||
                   parse_uint(w[3] + 6, DOMID_FIRST_RESERVED - 1,
                              &domid) < 0) {
            parse_error(ctx, "fail: '%s': expected domid=N", w[3]);
        } else {
            f->any_domain = 0;
            f->domid = (uint32_t)domid;
        }
    }
}

/* One line, already cut at its end.  Comments and blanks are skipped. */
static void parse_line(struct parse_ctx *ctx, struct fixture *fx, char *line)
{
    char *w[MAX_WORDS], *save = NULL, *hash, *tok;
    int n = 0;

    hash = strchr(line, '#');
    if (hash)
        *hash = '\0';
    for (tok = strtok_r(line, " \t\r", &save); tok;
         tok = strtok_r(NULL, " \t\r", &save)) {
        if (n == MAX_WORDS) {
            parse_error(ctx, "more than %d words", MAX_WORDS);
            return;
        }
        w[n++] = tok;
    }
    if (n == 0)
        return;

    if (strcmp(w[0], "nohypervisor") == 0) {
        if (n > 1)
            parse_error(ctx, "nohypervisor takes no arguments");
        fx->nohypervisor = 1;
    } else if (strcmp(w[0], "physinfo") == 0)
        parse_physinfo(ctx, fx, w, n);
    else if (strcmp(w[0], "version") == 0)
        parse_version(ctx, fx, w, n);
    else if (strcmp(w[0], "domain") == 0)
        parse_domain(ctx, fx, w, n);
    else if (strcmp(w[0], "vcpu") == 0)
        parse_vcpu(ctx, fx, w, n);
    else if (strcmp(w[0], "fail") == 0)
        parse_fail(ctx, fx, w, n);
    else
        parse_error(ctx, "unknown statement '%s' (nohypervisor, physinfo, "
                    "version, domain, vcpu, fail)", w[0]);
}

static int cmp_domain(const void *a, const void *b)
{
    uint32_t x = ((const struct fx_domain *)a)->id;
    uint32_t y = ((const struct fx_domain *)b)->id;

    return x < y ? -1 : x > y;
}

static struct fx_domain *find_domain(const struct fixture *fx, uint32_t id)
{
    struct fx_domain key;

    if (!fx->ndoms)
        return NULL;
    key.id = id;
    return bsearch(&key, fx->doms, fx->ndoms, sizeof(key), cmp_domain);
}

/* After all lines: sort domains (Xen lists them by id), reject duplicate
 * ids, and give every domain its vcpus, applying the vcpu lines. */
static void resolve(struct parse_ctx *ctx, struct fixture *fx)
{
    size_t i;

    if (fx->ndoms)      /* qsort and bsearch want an array, even if empty */
        qsort(fx->doms, fx->ndoms, sizeof(*fx->doms), cmp_domain);
    for (i = 0; i < fx->ndoms; i++) {
        struct fx_domain *d = &fx->doms[i];
        uint32_t v;

        if (i > 0 && fx->doms[i - 1].id == d->id) {
            unsigned a = fx->doms[i - 1].line, b = d->line;

            ctx->line = a > b ? a : b;
            parse_error(ctx, "domain %u defined twice (lines %u and %u)",
                        d->id, a < b ? a : b, ctx->line);
        }
        d->vcpus = calloc(d->nr_vcpus ? d->nr_vcpus : 1, sizeof(*d->vcpus));
        if (!d->vcpus) {
            ctx->out_of_memory = 1;
            return;
        }
        for (v = 0; v < d->nr_vcpus; v++) {
            d->vcpus[v].online = v < d->online_vcpus;
            d->vcpus[v].cpu = fx->cpus ? v % fx->cpus : 0;
        }
    }
    for (i = 0; i < fx->nvlines; i++) {
        const struct fx_vcpu_line *vl = &fx->vlines[i];
        struct fx_domain *d = find_domain(fx, vl->domid);

        ctx->line = vl->line;
        if (!d) {
            parse_error(ctx, "vcpu: no domain %u", vl->domid);
            continue;
        }
        if (vl->vcpuid >= d->nr_vcpus) {
            parse_error(ctx, "vcpu: domain %u has only %u vcpus", vl->domid,
                        d->nr_vcpus);
            continue;
        }
        if (vl->has_online)
            d->vcpus[vl->vcpuid].online = vl->v.online;
        if (vl->has_cpu_ns)
            d->vcpus[vl->vcpuid].cpu_ns = vl->v.cpu_ns;
        if (vl->has_cpu)
            d->vcpus[vl->vcpuid].cpu = vl->v.cpu;
    }
}

/* Parse text (NUL-terminated, modified in place).  NULL with errno EINVAL
 * when the file has errors (already reported), ENOMEM when memory ran out. */
static struct fixture *parse_fixture(const char *file, char *text)
{
    struct parse_ctx ctx = { file, 0, 0, 0 };
    struct fixture *fx = fixture_new();
    char *line = text;

    if (!fx) {
        errno = ENOMEM;
        return NULL;
    }
    while (line && !ctx.out_of_memory) {
        char *nl = strchr(line, '\n');

        if (nl)
            *nl = '\0';
        ctx.line++;
        parse_line(&ctx, fx, line);
        line = nl ? nl + 1 : NULL;
    }
    if (!ctx.out_of_memory)
        resolve(&ctx, fx);
    if (ctx.out_of_memory || ctx.errors) {
        if (ctx.out_of_memory)
            fprintf(stderr, "fakexc: %s: out of memory while parsing\n",
                    file);
        fixture_free(fx);
        errno = ctx.out_of_memory ? ENOMEM : EINVAL;
        return NULL;
    }
    return fx;
}

/* ------------------------------------------------------------------------
 * Reading the file, with a cache of the last parse
 * --------------------------------------------------------------------- */

enum fx_status {
    FX_OK,              /* cache.fx is the state to simulate */
    FX_NO_HYPERVISOR,   /* no file, or "nohypervisor" */
    FX_BROKEN,          /* unreadable or malformed: calls fail with err */
};

/* Parsing once per content keeps libxenstat's one-call-per-vcpu pattern
 * cheap with large fixtures; comparing the bytes (not mtime) makes sure
 * no change is ever missed. */
static struct {
    char *text;         /* the bytes last parsed, NULL if none */
    size_t len;
    enum fx_status status;
    int err;            /* errno for FX_BROKEN */
    struct fixture *fx; /* for FX_OK */
} cache;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

/* The whole file in a malloc'ed NUL-terminated buffer; NULL with errno. */
static char *read_file(const char *path, size_t *len)
{
    size_t cap = 4096, n = 0;
    char *buf = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return NULL;
    for (;;) {
        ssize_t r;

        if (n + 1 >= cap || !buf) {
            char *nb;

            if (buf)
                cap *= 2;
            if (cap > MAX_FIXTURE_BYTES + 1) {
                errno = EFBIG;
                break;
            }
            nb = realloc(buf, cap);
            if (!nb)
                break;
            buf = nb;
        }
        r = read(fd, buf + n, cap - n - 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            break;
        if (r == 0) {
            buf[n] = '\0';
            *len = n;
            close(fd);
            return buf;
        }
        n += (size_t)r;
    }
    {
        int saved = errno;

        close(fd);
        free(buf);
        errno = saved;
    }
    return NULL;
}

/* Set the simulated state without a parse to keep: the next call reads
 * and parses the file afresh, whatever it holds. */
static void set_state(enum fx_status status, int err)
{
    fixture_free(cache.fx);
    cache.fx = NULL;
    free(cache.text);
    cache.text = NULL;
    cache.len = 0;
    cache.status = status;
    cache.err = err;
}

/* The state text describes; text becomes the cache's. */
static void parse_into_cache(const char *path, char *text, size_t len)
{
    struct fixture *fx = NULL;
    char *work;
    int err = EINVAL;

    if (memchr(text, '\0', len)) {
        /* Lines are C strings below: a NUL would hide what follows it. */
        fprintf(stderr, "fakexc: %s: contains a NUL byte\n", path);
    } else if ((work = malloc(len + 1)) == NULL) {
        free(text);
        set_state(FX_BROKEN, ENOMEM);   /* try again on the next call */
        return;
    } else {
        memcpy(work, text, len + 1);
        fx = parse_fixture(path, work); /* reports what is wrong */
        err = errno;
        free(work);
    }

    set_state(FX_BROKEN, err);
    if (!fx && err == ENOMEM) {
        free(text);                     /* try again on the next call */
        return;
    }
    cache.text = text;
    cache.len = len;
    if (fx && fx->nohypervisor) {
        fixture_free(fx);
        cache.status = FX_NO_HYPERVISOR;
    } else if (fx) {
        cache.fx = fx;
        cache.status = FX_OK;
    }
}

/* Bring the cache up to date with the file.  Called with lock held. */
static void refresh(void)
{
    const char *path = getenv(FIXTURE_ENV);
    size_t len = 0;
    char *text;

    if (!path || !*path) {
        fprintf(stderr, "fakexc: %s is not set: simulating a machine "
                "without Xen\n", FIXTURE_ENV);
        set_state(FX_NO_HYPERVISOR, 0);
        return;
    }
    text = read_file(path, &len);
    if (!text) {
        int err = errno;

        if (err == ENOENT) {
            set_state(FX_NO_HYPERVISOR, 0);
        } else {
            fprintf(stderr, "fakexc: cannot read %s: %s\n", path,
                    strerror(err));
            set_state(FX_BROKEN, err == ENOMEM ? ENOMEM : EIO);
        }
        return;
    }
    if (cache.text && cache.len == len && memcmp(cache.text, text, len) == 0) {
        free(text);
        return;                         /* unchanged: keep the last parse */
    }
    parse_into_cache(path, text, len);
}

/* ------------------------------------------------------------------------
 * Common entry and exit of every simulated call
 * --------------------------------------------------------------------- */

struct fake_handle {
    uint32_t magic;
};

/* An error a "fail" line asks of func (for domain domid, or any domain
 * when domid is negative), or 0. */
static int injected_error(const struct fixture *fx, const char *func,
                          long domid)
{
    size_t i;

    for (i = 0; i < fx->nfails; i++) {
        const struct fx_failure *f = &fx->fails[i];

        if (strcmp(f->func, func) != 0)
            continue;
        if (f->any_domain || (domid >= 0 && f->domid == (uint32_t)domid))
            return f->err;
    }
    return 0;
}

/* Why begin_call() refused a call. */
enum refusal {
    REFUSED_NO_HYPERVISOR = 1,  /* no file, or "nohypervisor" */
    REFUSED_BROKEN,             /* fixture unreadable or malformed */
    REFUSED_INJECTED,           /* a "fail" line */
};

/* Lock, re-read the fixture and decide whether the call may go on: 0 with
 * *fx set (lock held), or an errno value with *why set unless why is NULL
 * (lock released). */
static int begin_call(const char *func, long domid, const struct fixture **fx,
                      enum refusal *why)
{
    enum refusal reason;
    int err;

    pthread_mutex_lock(&lock);
    refresh();
    switch (cache.status) {
    case FX_NO_HYPERVISOR:
        err = ENOENT;
        reason = REFUSED_NO_HYPERVISOR;
        break;
    case FX_BROKEN:
        err = cache.err;
        reason = REFUSED_BROKEN;
        break;
    default:
        err = injected_error(cache.fx, func, domid);
        reason = REFUSED_INJECTED;
        break;
    }
    if (err) {
        pthread_mutex_unlock(&lock);
        if (why)
            *why = reason;
        return err;
    }
    *fx = cache.fx;
    return 0;
}

static void end_call(void)
{
    pthread_mutex_unlock(&lock);
}

static int valid_handle(xc_interface *xch)
{
    return xch && ((struct fake_handle *)xch)->magic == HANDLE_MAGIC;
}

/* ------------------------------------------------------------------------
 * The simulated libxenctrl functions
 * --------------------------------------------------------------------- */

EXPORT xc_interface *xc_interface_open(xentoollog_logger *logger,
                                       xentoollog_logger *dombuild_logger,
                                       unsigned open_flags)
{
    const struct fixture *fx;
    struct fake_handle *h;
    enum refusal why;
    int err;

    (void)logger;
    (void)dombuild_logger;
    (void)open_flags;

    err = begin_call("xc_interface_open", -1, &fx, &why);
    if (err) {
        /* What libxencall prints when it cannot open privcmd, so the
         * agent's stderr looks as it would on a dom0 without Xen.  (A
         * broken fixture has been reported already.) */
        if (why != REFUSED_BROKEN)
            fprintf(stderr, "xencall: error: Could not obtain handle on "
                    "privileged command interface: %s\n", strerror(err));
        errno = err;
        return NULL;
    }
    end_call();

    h = calloc(1, sizeof(*h));
    if (!h) {
        errno = ENOMEM;
        return NULL;
    }
    h->magic = HANDLE_MAGIC;
    return (xc_interface *)h;
}

EXPORT int xc_interface_close(xc_interface *xch)
{
    const struct fixture *fx;
    enum refusal why;
    int err;

    if (!xch)
        return 0;                       /* as libxenctrl: closing NULL is ok */
    if (!valid_handle(xch)) {
        errno = EBADF;
        return -1;
    }
    ((struct fake_handle *)xch)->magic = 0;
    free(xch);

    /* Only a "fail" line makes close fail; the handle is gone anyway, as
     * the libxenctrl documentation says. */
    err = begin_call("xc_interface_close", -1, &fx, &why);
    if (err && why != REFUSED_INJECTED)
        return 0;               /* a missing or broken file is no failure */
    if (err) {
        errno = err;
        return -1;
    }
    end_call();
    return 0;
}

EXPORT int xc_physinfo(xc_interface *xch, xc_physinfo_t *info)
{
    const struct fixture *fx;
    int err;

    if (!valid_handle(xch) || !info) {
        errno = !info ? EFAULT : EBADF;
        return -1;
    }
    err = begin_call("xc_physinfo", -1, &fx, NULL);
    if (err) {
        errno = err;
        return -1;
    }
    memset(info, 0, sizeof(*info));
    info->threads_per_core = 1;
    info->cores_per_socket = fx->cpus;
    info->nr_cpus = fx->cpus;
    info->max_cpu_id = fx->cpus ? fx->cpus - 1 : 0;
    info->nr_nodes = 1;
    info->max_node_id = 0;
    info->cpu_khz = fx->cpu_khz;
    info->total_pages = fx->total_pages;
    info->free_pages = fx->free_pages;
    info->max_mfn = fx->total_pages ? fx->total_pages - 1 : 0;
    end_call();
    return 0;
}

static void fill_domaininfo(const struct fx_domain *d, xc_domaininfo_t *out)
{
    memset(out, 0, sizeof(*out));
    out->domain = (domid_t)d->id;
    out->flags = d->flags;
    out->tot_pages = d->tot_pages;
    out->max_pages = d->max_pages;
    out->cpu_time = d->cpu_ns;
    out->nr_online_vcpus = d->online_vcpus;
    out->max_vcpu_id = d->nr_vcpus ? d->nr_vcpus - 1 : XEN_INVALID_MAX_VCPU_ID;
    out->ssidref = d->ssidref;
}

/* As Xen's XEN_SYSCTL_getdomaininfolist: the domains whose id is at least
 * first_domain, in id order, at most max_domains of them. */
EXPORT int xc_domain_getinfolist(xc_interface *xch, uint32_t first_domain,
                                 unsigned int max_domains,
                                 xc_domaininfo_t *info)
{
    const struct fixture *fx;
    unsigned int n = 0;
    size_t i;
    int err;

    if (!valid_handle(xch) || (!info && max_domains)) {
        errno = !valid_handle(xch) ? EBADF : EFAULT;
        return -1;
    }
    err = begin_call("xc_domain_getinfolist", -1, &fx, NULL);
    if (err) {
        errno = err;
        return -1;
    }
    for (i = 0; i < fx->ndoms && n < max_domains; i++) {
        if (fx->doms[i].id >= first_domain)
            fill_domaininfo(&fx->doms[i], &info[n++]);
    }
    end_call();
    return (int)n;
}

/* As XEN_DOMCTL_getvcpuinfo: ESRCH for an unknown domain, EINVAL for a
 * vcpu id at or past the domain's vcpu count. */
EXPORT int xc_vcpu_getinfo(xc_interface *xch, uint32_t domid, uint32_t vcpu,
                           xc_vcpuinfo_t *info)
{
    const struct fixture *fx;
    const struct fx_domain *d;
    const struct fx_vcpu *v;
    int err;

    if (!valid_handle(xch) || !info) {
        errno = !info ? EFAULT : EBADF;
        return -1;
    }
    err = begin_call("xc_vcpu_getinfo", (long)domid, &fx, NULL);
    if (err) {
        errno = err;
        return -1;
    }
    d = find_domain(fx, domid);
    if (!d || vcpu >= d->nr_vcpus) {
        end_call();
        errno = d ? EINVAL : ESRCH;
        return -1;
    }
    v = &d->vcpus[vcpu];
    memset(info, 0, sizeof(*info));
    info->vcpu = vcpu;
    info->online = (uint8_t)v->online;
    info->running = v->online && (d->flags & XEN_DOMINF_running);
    info->blocked = v->online && (d->flags & XEN_DOMINF_blocked);
    info->cpu_time = v->cpu_ns;
    info->cpu = v->cpu;
    end_call();
    return 0;
}

/* XENVER_version (returns major << 16 | minor) and XENVER_extraversion
 * (fills a xen_extraversion_t) are what libxenstat asks for. */
EXPORT int xc_version(xc_interface *xch, int cmd, void *arg)
{
    const struct fixture *fx;
    int err, ret = 0;

    if (!valid_handle(xch)) {
        errno = EBADF;
        return -1;
    }
    err = begin_call("xc_version", -1, &fx, NULL);
    if (err) {
        errno = err;
        return -1;
    }
    switch (cmd) {
    case XENVER_version:
        ret = (int)((fx->ver_major << 16) | fx->ver_minor);
        break;
    case XENVER_extraversion:
        if (!arg) {
            err = EFAULT;
            break;
        }
        memset(arg, 0, sizeof(xen_extraversion_t));
        memcpy(arg, fx->ver_extra, strlen(fx->ver_extra));
        break;
    default:
        fprintf(stderr, "fakexc: xc_version command %d is not simulated\n",
                cmd);
        err = ENOSYS;
        break;
    }
    end_call();
    if (err) {
        errno = err;
        return -1;
    }
    return ret;
}
