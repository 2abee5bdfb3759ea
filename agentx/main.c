/* SPDX-License-Identifier: ISC */
/*
 * xen-vif-agent: an AgentX subagent serving XEN-VIF-MIB.
 *
 * Start-up order matters: net-snmp reads the configuration and
 * connects to the master inside init_snmp(); errors must reach the
 * terminal, so the daemon forks only after that; libxenstore starts a
 * thread, which would not survive fork(), so xenstore is opened after.
 */
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent_config.h"
#include "master_link.h"
#include "module.h"
#include "netsnmp_compat.h"

/* How long one AgentX request may block the agent if snmpd hangs.  No
 * retries: a Notify resent after a slow answer reaches the sinks twice,
 * and the pings reconnect a session that really failed. */
#define XV_AGENTX_TIMEOUT_US 1000000
#define XV_AGENTX_RETRIES 0
/* Default seconds between pings of the master; also how soon the
 * agent is back after snmpd restarts. */
#define XV_AGENTX_PING_INTERVAL 5

struct options {
	int foreground;
	int log_set;
	const char *agentx_socket;
	const char *pidfile;
	char *config_file; /* absolute paths, comma-separated */
	int only_config_file;
};

static int signal_pipe[2] = {-1, -1};
static volatile sig_atomic_t stopping;
static bool running;

/* SIGHUP: the configuration again; a broken one changes nothing. */
static void reload(void)
{
	struct xv_config fresh;
	unsigned int errors;

	xv_config_defaults(&fresh);
	errors = xv_agent_config_reload(&fresh);
	if (errors) {
		snmp_log(LOG_ERR, "reload: %u error(s) in the configuration; "
			 "keeping the running one\n", errors);
		xv_config_free(&fresh);
		return;
	}
	xv_module_reconfigure(&fresh);
}

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: %s [OPTIONS]\n"
		"Serves XEN-VIF-MIB to snmpd over AgentX.\n\n"
		"  -f            stay in the foreground\n"
		"  -x ADDRESS    the master agent's AgentX socket\n"
		"                (default unix:/var/agentx/master)\n"
		"  -c FILE       read FILE too (only FILE with -C)\n"
		"  -C            do not read the default configuration files\n"
		"  -L OPTIONS    logging, as net-snmp's -L (e.g. -Lf FILE, -Lsd, -Le)\n"
		"  -D[TOKENS]    debug output for net-snmp debug tokens\n"
		"  -p PIDFILE    write the process id there\n"
		"  -H            list the configuration tokens\n"
		"  -h            this help\n"
		"  -v            the version\n",
		XV_APP_NAME);
}

static void on_signal(int sig)
{
	char c = sig == SIGHUP ? 'h' : 't';
	int saved = errno;

	if (write(signal_pipe[1], &c, 1) < 0) {
		/* The pipe is full: a wake-up is pending anyway. */
	}
	errno = saved;
}

static void on_signal_pipe(int fd, void *data)
{
	char buf[64];
	ssize_t n;

	(void)data;
	while ((n = read(fd, buf, sizeof buf)) > 0) {
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] == 't')
				stopping = 1;
			else if (running)
				reload();
		}
	}
}

static int setup_signals(void)
{
	struct sigaction sa = {.sa_handler = on_signal};

	if (pipe2(signal_pipe, O_NONBLOCK | O_CLOEXEC) < 0)
		return -1;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	register_readfd(signal_pipe[0], on_signal_pipe, NULL);
	return 0;
}

/* Every AgentX request is synchronous; bound them so a hung snmpd
 * stalls the agent for a second, not for minutes. */
static int bound_agentx_waits(int major, int minor, void *server, void *client)
{
	netsnmp_session *s = server;

	(void)major, (void)minor, (void)client;
	if (s && s->version == XV_AGENTX_VERSION_1) {
		s->timeout = XV_AGENTX_TIMEOUT_US;
		s->retries = XV_AGENTX_RETRIES;
	}
	return SNMP_ERR_NOERROR;
}

/* The configuration being read (net-snmp frees a callback's client
 * argument at shutdown: it cannot carry this). */
static const struct xv_config *config_read;

/* The configuration is read; the master is not connected yet. */
static int before_connecting(int major, int minor, void *server, void *client)
{
	(void)major, (void)minor, (void)server, (void)client;
	xv_module_prepare_context(config_read);
	return SNMP_ERR_NOERROR;
}

/* FILE[,FILE...] with each file made absolute. */
static char *absolute_paths(const char *list)
{
	char *copy = strdup(list), *save, *file, *out = NULL;
	size_t len = 0;

	if (!copy)
		return NULL;
	for (file = strtok_r(copy, ",", &save); file; file = strtok_r(NULL, ",", &save)) {
		char *abs = realpath(file, NULL), *grown;

		if (!abs) {
			free(out);
			out = NULL;
			break;
		}
		grown = realloc(out, len + strlen(abs) + 2);
		if (!grown) {
			free(abs);
			free(out);
			out = NULL;
			break;
		}
		out = grown;
		len += (size_t)sprintf(out + len, "%s%s", len ? "," : "", abs);
		free(abs);
	}
	free(copy);
	return out;
}

static int parse_options(int argc, char **argv, struct options *o)
{
	int c;

	while ((c = getopt(argc, argv, "fx:c:CL:D::p:Hhv")) != -1) {
		switch (c) {
		case 'f':
			o->foreground = 1;
			break;
		case 'x':
			o->agentx_socket = optarg;
			break;
		case 'c':
			/* The daemon leaves its directory: a reload must find
			 * the same files. */
			o->config_file = absolute_paths(optarg);
			if (!o->config_file) {
				fprintf(stderr, "%s: -c %s: %s\n", XV_APP_NAME, optarg,
					strerror(errno));
				return 2;
			}
			break;
		case 'C':
			o->only_config_file = 1;
			break;
		case 'L':
			if (snmp_log_options(optarg, argc, argv) < 0) {
				fprintf(stderr, "%s: bad -L option '%s'\n", XV_APP_NAME,
					optarg);
				return 2;
			}
			o->log_set = 1;
			break;
		case 'D':
			debug_register_tokens(optarg ? optarg : "ALL");
			snmp_set_do_debugging(1);
			break;
		case 'p':
			o->pidfile = optarg;
			break;
		case 'H':
			return 'H';
		case 'h':
			usage(stdout);
			return 1;
		case 'v':
			printf("%s %s\n", XV_APP_NAME, PACKAGE_VERSION);
			return 1;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument '%s'\n", XV_APP_NAME,
			argv[optind]);
		usage(stderr);
		return 2;
	}
	if (o->only_config_file && !o->config_file) {
		fprintf(stderr, "%s: -C needs -c FILE\n", XV_APP_NAME);
		return 2;
	}
	return 0;
}

static int write_pidfile(const char *path)
{
	FILE *f = fopen(path, "we");

	if (!f || fprintf(f, "%ld\n", (long)getpid()) < 0 || fclose(f) == EOF) {
		snmp_log(LOG_ERR, "cannot write pid file %s: %s\n", path,
			 strerror(errno));
		return -1;
	}
	return 0;
}

/* net-snmp's side: roles, sockets, configuration.  Returns 0 to run,
 * or an exit status. */
static int init_net_snmp(const struct options *o, struct xv_config *cfg, int list)
{
	/* The agent needs no MIB files; without this net-snmp looks for
	 * the IETF modules Debian does not ship and complains. */
	setenv("MIBS", "", 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_ROLE, 1);
	/* The agent keeps its own state file; net-snmp's persistent
	 * xen-vif-agent.conf would only confuse operators. */
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID,
			       NETSNMP_DS_LIB_DISABLE_PERSISTENT_SAVE, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID,
			       NETSNMP_DS_LIB_DISABLE_PERSISTENT_LOAD, 1);
	if (o->agentx_socket)
		netsnmp_ds_set_string(NETSNMP_DS_APPLICATION_ID,
				      NETSNMP_DS_AGENT_X_SOCKET, o->agentx_socket);
	if (o->config_file)
		netsnmp_ds_set_string(NETSNMP_DS_LIBRARY_ID,
				      NETSNMP_DS_LIB_OPTIONALCONFIG, o->config_file);
	if (o->only_config_file)
		netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID,
				       NETSNMP_DS_LIB_DONT_READ_CONFIGS, 1);
	snmp_register_callback(SNMP_CALLBACK_LIBRARY, SNMP_CALLBACK_SESSION_INIT,
			       bound_agentx_waits, NULL);

	xv_config_defaults(cfg);
	xv_agent_config_register(cfg, o->config_file);
	/* Before init_agent(): its subagent connects in a callback of the
	 * same kind, which must come after this one. */
	config_read = cfg;
	netsnmp_register_callback(SNMP_CALLBACK_LIBRARY, SNMP_CALLBACK_POST_READ_CONFIG,
				  before_connecting, NULL,
				  NETSNMP_CALLBACK_HIGHEST_PRIORITY);
	init_agent(XV_APP_NAME);
	xv_master_follow();
	/* init_agent sets net-snmp's default; the configuration may
	 * still override this. */
	netsnmp_ds_set_int(NETSNMP_DS_APPLICATION_ID,
			   NETSNMP_DS_AGENT_AGENTX_PING_INTERVAL,
			   XV_AGENTX_PING_INTERVAL);
	if (list) {
		xv_agent_config_print_tokens(stdout);
		return 1;
	}
	xv_agent_config_count_errors(1);
	init_snmp(XV_APP_NAME);
	xv_agent_config_count_errors(0);
	if (xv_agent_config_errors() > 0) {
		snmp_log(LOG_ERR, "%u error(s) in the configuration; not starting\n",
			 xv_agent_config_errors());
		return 1;
	}
	if (!xv_master_connected())
		snmp_log(LOG_WARNING, "cannot reach the AgentX master at %s; "
			 "trying again every %d s\n",
			 netsnmp_ds_get_string(NETSNMP_DS_APPLICATION_ID,
					       NETSNMP_DS_AGENT_X_SOCKET)
				 ? netsnmp_ds_get_string(NETSNMP_DS_APPLICATION_ID,
							 NETSNMP_DS_AGENT_X_SOCKET)
				 : "its default socket",
			 netsnmp_ds_get_int(NETSNMP_DS_APPLICATION_ID,
					    NETSNMP_DS_AGENT_AGENTX_PING_INTERVAL));
	return 0;
}

int main(int argc, char **argv)
{
	/* static: what it points to stays reachable until exit */
	static struct options o;
	struct xv_config cfg;
	char err[1024];
	int rc = parse_options(argc, argv, &o);

	if (rc == 1 || rc == 2)
		return rc == 1 ? 0 : 2;
	if (rc == 'H')
		/* net-snmp prints its token list through the log. */
		netsnmp_register_loghandler(NETSNMP_LOGHANDLER_STDOUT, LOG_DEBUG);
	else if (!o.log_set) {
		if (o.foreground)
			snmp_enable_stderrlog();
		else
			snmp_enable_syslog_ident(XV_APP_NAME, LOG_DAEMON);
	}
	int status = init_net_snmp(&o, &cfg, rc == 'H');
	if (rc == 'H' || status) {
		xv_config_free(&cfg);
		return rc == 'H' ? 0 : status;
	}

	if (!o.foreground && netsnmp_daemonize(1, snmp_stderrlog_status()) != 0)
		return 1;
	if (o.pidfile && write_pidfile(o.pidfile) < 0)
		return 1;
	if (setup_signals() < 0) {
		snmp_log(LOG_ERR, "cannot set up signals: %s\n", strerror(errno));
		return 1;
	}

	unsigned int refresh = cfg.refresh_interval;

	if (xv_module_start(XV_HOST_SUBAGENT, &cfg, err, sizeof err) < 0) {
		snmp_log(LOG_ERR, "cannot start: %s\n", err);
		return 1;
	}
	running = true;
	snmp_log(LOG_INFO, "%s %s started: %zu vifs, refresh every %u s\n",
		 XV_APP_NAME, PACKAGE_VERSION, xv_module_vifs(), refresh);

	while (!stopping) {
		/* Returns on every event, on EINTR and on alarms. */
		agent_check_and_process(1);
	}

	snmp_log(LOG_INFO, "%s stopping\n", XV_APP_NAME);
	xv_module_stop();
	snmp_shutdown(XV_APP_NAME);
	if (o.pidfile)
		unlink(o.pidfile);
	return 0;
}
