/* SPDX-License-Identifier: ISC */
/*
 * xen-vif-agent.conf's lines, as the agent hands each to
 * xv_config_set: a token of xv_config_tokens (or any word) and the rest
 * of the line.
 *
 * Input: lines; each line's first byte chooses the token (and its
 * case), the rest is the value; the last choice takes the token from
 * the line itself.  Properties: a refused line says why and changes
 * nothing; a setting given twice is the same as once, a rule given
 * twice is refused; what was accepted is within the documented
 * bounds; a reload keeps exactly the restart-only settings.
 */
#include <ctype.h>
#include <stdbool.h>
#include <string.h>

#include "fuzz.h"
#include "xenvif/config.h"

static size_t token_count(void)
{
	size_t n = 0;

	while (xv_config_tokens[n].name)
		n++;
	return n;
}

static bool is_rule(const char *token)
{
	const struct xv_config_token *t = xv_config_token(token);

	return t && t->adds_rule;
}

static void check_bounds(const struct xv_config *cfg)
{
	FUZZ_ASSERT(cfg->refresh_interval >= 1 && cfg->refresh_interval <= 3600,
		    "refresh %u", cfg->refresh_interval);
	FUZZ_ASSERT(cfg->state_save_interval >= 5 && cfg->state_save_interval <= 60,
		    "save interval %u", cfg->state_save_interval);
	FUZZ_ASSERT(cfg->backend_domid <= 0x7fef, "backend %u", cfg->backend_domid);
	FUZZ_ASSERT(cfg->period.tz[0] && memchr(cfg->period.tz, '\0', sizeof cfg->period.tz),
		    "time zone");
	FUZZ_ASSERT(cfg->period.kind != XV_PERIOD_MONTHLY ||
		    (cfg->period.day >= 1 && cfg->period.day <= 28), "day %u",
		    cfg->period.day);
	FUZZ_ASSERT(cfg->period.kind != XV_PERIOD_WEEKLY || cfg->period.day <= 6,
		    "weekday %u", cfg->period.day);
	for (size_t i = 0; i < cfg->nquotas; i++)
		FUZZ_ASSERT(cfg->quotas[i].octets > 0 && cfg->quotas[i].warn_percent >= 1 &&
			    cfg->quotas[i].warn_percent <= 100, "quota %zu", i);
	for (size_t i = 0; i < cfg->nrates; i++)
		FUZZ_ASSERT(cfg->rates[i].bits_per_second > 0 && cfg->rates[i].seconds >= 1 &&
			    cfg->rates[i].seconds <= 86400 &&
			    cfg->rates[i].dir != XV_DIR_TOTAL, "rate %zu", i);
	for (size_t i = 0; i < cfg->nfloods; i++)
		FUZZ_ASSERT(cfg->floods[i].bits_per_second > 0 && cfg->floods[i].seconds >= 1 &&
			    cfg->floods[i].seconds <= 86400, "flood %zu", i);
	FUZZ_ASSERT(cfg->classifier_pins[0] == '/', "pins");
	FUZZ_ASSERT(strlen(cfg->sw.context) <= XV_CONTEXT_MAX, "context");
	for (const char *p = cfg->sw.name; *p; p++)
		FUZZ_ASSERT((unsigned char)*p >= ' ' && *p != 0x7f, "control in sysName");
	FUZZ_ASSERT(cfg->sw.port_speed > 0, "port speed 0");
	FUZZ_ASSERT(cfg->sw.port_retention <= 3650U * 86400U, "retention");
}

/* Applies one line and checks what it did. */
static void apply(struct xv_config *cfg, const char *token, const char *value)
{
	struct xv_config before = *cfg, once;
	char err[512] = "";

	if (xv_config_set(cfg, token, value, err, sizeof err) < 0) {
		FUZZ_ASSERT(err[0], "'%s' refused without a word", token);
		FUZZ_ASSERT(memcmp(cfg, &before, sizeof before) == 0,
			    "'%s %s' refused, but changed the settings", token, value);
		return;
	}
	check_bounds(cfg);
	once = *cfg;
	err[0] = '\0';
	if (is_rule(token)) {
		FUZZ_ASSERT(xv_config_set(cfg, token, value, err, sizeof err) < 0 && err[0],
			    "the rule '%s %s' was taken twice", token, value);
		FUZZ_ASSERT(memcmp(cfg, &once, sizeof once) == 0, "a refused rule stayed");
	} else {
		FUZZ_ASSERT(xv_config_set(cfg, token, value, err, sizeof err) == 0,
			    "'%s %s' taken once, refused twice: %s", token, value, err);
		FUZZ_ASSERT(memcmp(cfg, &once, sizeof once) == 0,
			    "'%s %s' twice is not the same as once", token, value);
	}
}

struct changes {
	size_t n;
};

static void changed(void *ctx, const char *token)
{
	struct changes *c = ctx;

	FUZZ_ASSERT(xv_config_token(token) &&
		    xv_config_token(token)->reload == XV_RELOAD_RESTART,
		    "'%s' said changed on a reload", token);
	c->n++;
}

/* A reload: the new file's restart-only settings give way to the
 * running ones, and only those that differed are said. */
static void check_reload(const struct xv_config *running)
{
	struct xv_config fresh;
	struct changes c = {0};
	size_t differ = 0;

	xv_config_defaults(&fresh);
	for (const struct xv_config_token *t = xv_config_tokens; t->name; t++)
		if (t->reload == XV_RELOAD_RESTART &&
		    memcmp((const char *)&fresh + t->offset,
			   (const char *)running + t->offset, t->size) != 0)
			differ++;
	xv_config_keep_fixed(&fresh, running, changed, &c);
	for (const struct xv_config_token *t = xv_config_tokens; t->name; t++)
		if (t->reload == XV_RELOAD_RESTART)
			FUZZ_ASSERT(memcmp((const char *)&fresh + t->offset,
					   (const char *)running + t->offset, t->size) == 0,
				    "reload changed '%s'", t->name);
	/* Texts compare up to their end; bytes after it may differ. */
	FUZZ_ASSERT(c.n <= differ, "%zu said changed, %zu differ", c.n, differ);
	xv_config_free(&fresh);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t ntokens = token_count();
	struct xv_config cfg;
	char *text = malloc(size + 1), *save, *line;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	xv_config_defaults(&cfg);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned char pick = (unsigned char)line[0];
		char token[64];
		const char *value = line + 1;

		if (pick % (ntokens + 1) == ntokens) {
			size_t n = strcspn(value, " \t");

			snprintf(token, sizeof token, "%.*s", (int)n, value);
			value += n;
		} else {
			snprintf(token, sizeof token, "%s", xv_config_tokens[pick % (ntokens + 1)].name);
			/* Tokens are read in any case. */
			if (pick / (ntokens + 1) % 2)
				for (char *c = token; *c; c++)
					*c = (char)toupper((unsigned char)*c);
		}
		apply(&cfg, token, value);
		/* Every lookup by what the line named. */
		xv_config_quota(&cfg, value, value);
		xv_config_rate(&cfg, value, value, XV_DIR_IN);
		xv_config_rate(&cfg, "", value, XV_DIR_OUT);
	}
	check_reload(&cfg);
	xv_config_free(&cfg);
	free(text);
	return 0;
}
