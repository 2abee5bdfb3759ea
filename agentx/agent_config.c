/* SPDX-License-Identifier: ISC */
#include "agent_config.h"

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "netsnmp_compat.h"
#include "xenvif/growth.h"

static struct xv_config *config;
static const char *extra_config_files; /* -c: comma-separated */
static int counting;
static unsigned int errors;
static int in_own_token;
static netsnmp_log_handler *log_handler;
/* net-snmp reads each file twice (before and after loading MIBs) and
 * some errors come in both passes: count each file:line once. */
static char **error_places;
static size_t nplaces, capplaces;

static int first_report(const char *place, size_t len)
{
	char **grown;

	for (size_t i = 0; i < nplaces; i++)
		if (strlen(error_places[i]) == len &&
		    strncmp(error_places[i], place, len) == 0)
			return 0;
	grown = xv_grow(error_places, &capplaces, nplaces, sizeof *grown, 8);
	if (!grown)
		return 1;
	error_places = grown;
	error_places[nplaces] = strndup(place, len);
	if (error_places[nplaces])
		nplaces++;
	return 1;
}

static void on_token(const char *token, char *line)
{
	char err[512];

	if (!config)
		return; /* not in a reading of ours */
	if (xv_config_set(config, token, line, err, sizeof err) < 0) {
		/* Counted here, wherever the line is (an includeFile too);
		 * the log listener must not count it again. */
		if (counting)
			errors++;
		in_own_token = 1;
		config_perror(err); /* logs "FILE: line N: Error: err" */
		in_own_token = 0;
	}
}

/* Is path one of the agent's own configuration files? */
static int own_file(const char *path, size_t len)
{
	static const char *const names[] = {XV_APP_NAME ".conf",
					    XV_APP_NAME ".local.conf"};
	const char *base = path;

	for (size_t i = 0; i < len; i++)
		if (path[i] == '/')
			base = path + i + 1;
	for (size_t i = 0; i < 2; i++)
		if ((size_t)(path + len - base) == strlen(names[i]) &&
		    strncmp(base, names[i], strlen(names[i])) == 0)
			return 1;
	for (const char *f = extra_config_files; f && *f;) {
		size_t flen = strcspn(f, ",");

		if (flen == len && strncmp(path, f, len) == 0)
			return 1;
		f += flen + (f[flen] == ',');
	}
	return 0;
}

/* net-snmp reports "PATH: line N: Error: ..." and
 * "PATH: line N: Warning: Unknown token: ..." for its config files. */
static int on_log(int major, int minor, void *server, void *client)
{
	const struct snmp_log_message *m = server;
	const char *at;

	(void)major, (void)minor, (void)client;
	if (!counting || in_own_token || !m || !m->msg ||
	    !(at = strstr(m->msg, ": line ")))
		return 0;
	const char *what = strchr(at + 7, ':');
	if (!what)
		return 0;
	if ((strncmp(what, ": Error:", 8) == 0 ||
	     strncmp(what, ": Warning: Unknown token", 24) == 0) &&
	    own_file(m->msg, (size_t)(at - m->msg)) &&
	    first_report(m->msg, (size_t)(what - m->msg)))
		errors++;
	return 0;
}

/* A user's noTokenWarnings must not hide a misspelt token of ours. */
static int keep_token_warnings(int major, int minor, void *server, void *client)
{
	(void)major, (void)minor, (void)server, (void)client;
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID,
			       NETSNMP_DS_LIB_NO_TOKEN_WARNINGS, 0);
	return 0;
}

void xv_agent_config_register(struct xv_config *cfg, const char *extra_files)
{
	config = cfg;
	extra_config_files = extra_files;
	for (const struct xv_config_token *t = xv_config_tokens; t->name; t++)
		register_config_handler(XV_APP_NAME, t->name, on_token, NULL, t->usage);
	snmp_register_callback(SNMP_CALLBACK_LIBRARY, SNMP_CALLBACK_LOGGING,
			       on_log, NULL);
	log_handler = netsnmp_register_loghandler(NETSNMP_LOGHANDLER_CALLBACK,
						  LOG_DEBUG);
	snmp_register_callback(SNMP_CALLBACK_LIBRARY,
			       SNMP_CALLBACK_POST_PREMIB_READ_CONFIG,
			       keep_token_warnings, NULL);
}

void xv_agent_config_count_errors(int on)
{
	counting = on;
	if (!on)
		return;
	errors = 0;
	for (size_t i = 0; i < nplaces; i++)
		free(error_places[i]);
	free(error_places);
	error_places = NULL;
	capplaces = 0;
	nplaces = 0;
}

unsigned int xv_agent_config_errors(void)
{
	return errors;
}

/* Calls fn for each of the agent's files that exists, in the order
 * net-snmp reads them: ours in each directory of the search path
 * (SNMPCONFPATH, else its default path and then the persistent
 * directory) unless -C, then the -c files.  Returns how many. */
static unsigned int each_own_file(void (*fn)(const char *file))
{
	static const char *const names[] = {XV_APP_NAME ".conf",
					    XV_APP_NAME ".local.conf"};
	const char *env = netsnmp_getenv("SNMPCONFPATH");
	const char *path = env ? env : get_configuration_directory();
	char *dirs, *save, *dir;
	unsigned int found = 0;
	size_t len = (path ? strlen(path) : 0) + strlen(get_persistent_directory()) + 2;

	dirs = malloc(len);
	if (dirs)
		snprintf(dirs, len, "%s%s%s", path ? path : "", env ? "" : ":",
			 env ? "" : get_persistent_directory());
	if (dirs && !netsnmp_ds_get_boolean(NETSNMP_DS_LIBRARY_ID,
					    NETSNMP_DS_LIB_DONT_READ_CONFIGS)) {
		for (dir = strtok_r(dirs, ":", &save); dir;
		     dir = strtok_r(NULL, ":", &save)) {
			for (size_t i = 0; i < 2; i++) {
				char file[PATH_MAX];

				snprintf(file, sizeof file, "%s/%s", dir, names[i]);
				if (access(file, R_OK) == 0) {
					found++;
					if (fn)
						fn(file);
				}
			}
		}
	}
	free(dirs);
	char *files = extra_config_files ? strdup(extra_config_files) : NULL;
	for (char *f = files ? strtok_r(files, ",", &save) : NULL; f;
	     f = strtok_r(NULL, ",", &save)) {
		if (access(f, R_OK) == 0) {
			found++;
			if (fn)
				fn(f);
		}
	}
	free(files);
	return found;
}

unsigned int xv_agent_config_files(void)
{
	return each_own_file(NULL);
}

static void reread(const char *file)
{
	snmp_log(LOG_INFO, "reload: reading %s\n", file);
	read_config_with_type(file, XV_APP_NAME);
}

unsigned int xv_agent_config_reload(struct xv_config *fresh)
{
	struct xv_config *live = config;
	unsigned int read;

	config = fresh;
	xv_agent_config_count_errors(1);
	read = each_own_file(reread);
	xv_agent_config_count_errors(0);
	config = live;
	if (read == 0) {
		/* Applying the defaults would drop every quota. */
		const char *env = netsnmp_getenv("SNMPCONFPATH");

		snmp_log(LOG_ERR, "reload: no configuration file found on %s\n",
			 env ? env : get_configuration_directory());
		return 1;
	}
	return errors;
}

/* ---- inside snmpd ---------------------------------------------------- */

static xv_config_done_fn *snmpd_done;
static struct xv_config snmpd_fresh;
static bool snmpd_reading;
static bool registered; /* with net-snmp, for snmpd */

/* net-snmp's free_config(), before snmpd reads its files again. */
static void on_release(void)
{
	if (!snmpd_done)
		return;
	if (snmpd_reading)
		xv_config_free(&snmpd_fresh);
	xv_config_defaults(&snmpd_fresh);
	config = &snmpd_fresh;
	snmpd_reading = true;
	xv_agent_config_count_errors(1);
}

static int on_read_done(int major, int minor, void *server, void *client)
{
	struct xv_config *cfg;

	(void)major, (void)minor, (void)server, (void)client;
	if (!snmpd_done || !snmpd_reading)
		return SNMP_ERR_NOERROR;
	xv_agent_config_count_errors(0);
	snmpd_reading = false;
	config = NULL;
	cfg = malloc(sizeof *cfg);
	if (!cfg) {
		snmp_log(LOG_ERR, "out of memory: configuration not applied\n");
		xv_config_free(&snmpd_fresh);
		return SNMP_ERR_NOERROR;
	}
	*cfg = snmpd_fresh;
	memset(&snmpd_fresh, 0, sizeof snmpd_fresh);
	snmpd_done(cfg, errors, xv_agent_config_files() > 0);
	return SNMP_ERR_NOERROR;
}

/* net-snmp's AgentX subagent settings, which the daemon reads from the
 * same file: inside snmpd there is no AgentX hop, and the file may be
 * shared by both. */
static const char *const daemon_tokens[] = {
	"agentXSocket", "agentXPingInterval", "agentXTimeout", "agentXRetries",
	NULL,
};

static void on_daemon_token(const char *token, char *line)
{
	char msg[128];

	(void)line;
	if (!config)
		return; /* not in a reading of ours */
	snprintf(msg, sizeof msg, "%s is for the %s daemon; ignored inside "
		 "snmpd", token, XV_APP_NAME);
	config_pwarn(msg); /* "FILE: line N: Warning: msg", not an error */
}

void xv_agent_config_follow_snmpd(xv_config_done_fn *done)
{
	snmpd_done = done;
	if (!done) {
		/* Inert until followed again: a reading under way is
		 * dropped. */
		if (snmpd_reading)
			xv_config_free(&snmpd_fresh);
		snmpd_reading = false;
		config = NULL;
		xv_agent_config_count_errors(0);
		return;
	}
	if (!registered) {
		for (const struct xv_config_token *t = xv_config_tokens; t->name; t++)
			register_config_handler(XV_APP_NAME, t->name, on_token,
						t == xv_config_tokens ? on_release
								      : NULL,
						t->usage);
		for (const char *const *t = daemon_tokens; *t; t++)
			register_config_handler(XV_APP_NAME, *t, on_daemon_token,
						NULL, "(the daemon's; ignored)");
		snmp_register_callback(SNMP_CALLBACK_LIBRARY, SNMP_CALLBACK_LOGGING,
				       on_log, NULL);
		snmp_register_callback(SNMP_CALLBACK_LIBRARY,
				       SNMP_CALLBACK_POST_READ_CONFIG, on_read_done,
				       NULL);
		log_handler = netsnmp_register_loghandler(
			NETSNMP_LOGHANDLER_CALLBACK, LOG_DEBUG);
		registered = true;
	}
	/* snmpd is reading its files now (dlmod is one of its lines):
	 * ours come after. */
	on_release();
}

void xv_agent_config_unregister(void)
{
	for (const struct xv_config_token *t = xv_config_tokens; t->name; t++)
		unregister_config_handler(XV_APP_NAME, t->name);
	for (const char *const *t = daemon_tokens; *t; t++)
		unregister_config_handler(XV_APP_NAME, *t);
	snmp_unregister_callback(SNMP_CALLBACK_LIBRARY, SNMP_CALLBACK_LOGGING,
				 on_log, NULL, 1);
	snmp_unregister_callback(SNMP_CALLBACK_LIBRARY,
				 SNMP_CALLBACK_POST_READ_CONFIG, on_read_done, NULL, 1);
	xv_compat_stop_loghandler(log_handler);
	log_handler = NULL;
	registered = false;
	if (snmpd_reading)
		xv_config_free(&snmpd_fresh);
	snmpd_reading = false;
	snmpd_done = NULL;
	config = NULL;
	xv_agent_config_count_errors(0);
	for (size_t i = 0; i < nplaces; i++)
		free(error_places[i]);
	free(error_places);
	error_places = NULL;
	capplaces = 0;
	nplaces = 0;
}

void xv_agent_config_print_tokens(FILE *out)
{
	fprintf(out, "Tokens of %s.conf (on SNMPCONFPATH):\n", XV_APP_NAME);
	for (const struct xv_config_token *t = xv_config_tokens; t->name; t++)
		fprintf(out, "  %-18s %-8s %s%s\n", t->name, t->usage, t->help,
			t->reload == XV_RELOAD_RESTART ? "; a restart applies it, "
							 "not a reload" : "");
	fprintf(out, "\nAll tokens net-snmp accepts, by file:\n");
	fflush(out);
	read_config_print_usage("  ");
}
