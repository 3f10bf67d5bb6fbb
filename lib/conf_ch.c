/* conf_ch.c — the config's "clickhouse" and "ship" sections (scale-out). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf_int.h"

#define URL_MAX		1000
#define MAX_NODES	1000
#define NAME_CHARS	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" \
			"0123456789_"

/*
 * An http:// or https:// URL of printable ASCII with a host and no
 * user:password@ (the password would end up in logs), query or fragment
 * (apimon adds its own query).  Returns NULL, or what is wrong.
 */
static const char *
url_problem(const char *u)
{
	const char	*host, *end;
	size_t		 i, n = strlen(u);

	if (strncmp(u, "http://", 7) == 0)
		host = u + 7;
	else if (strncmp(u, "https://", 8) == 0)
		host = u + 8;
	else
		return "must be an http:// or https:// URL";
	if (n > URL_MAX)
		return "must be at most 1000 characters";
	for (i = 0; i < n; i++)
		if (u[i] <= ' ' || u[i] >= 127)
			return "must be ASCII without spaces";
	end = host + strcspn(host, "/");
	if (memchr(host, '@', (size_t)(end - host)) != NULL)
		return "must not hold a user or password: set clickhouse.user "
		    "and clickhouse.password";
	if (end == host || *host == ':')
		return "must name a host";
	if (strpbrk(u, "?#") != NULL)
		return "must not have a query or fragment";
	return NULL;
}

/* A copy of URL u without its trailing slashes (apimon adds "/?..."). */
static char *
url_copy(const char *u)
{
	size_t	 n = strlen(u);

	/* url_problem() saw a host: the scheme's "//" is never reached. */
	while (u[n - 1] == '/')
		n--;
	return strndup(u, n);
}

static int
get_url(struct ctx *x, const char *prefix, const char *key, const char *u,
    char **out)
{
	const char	*why;

	if ((why = url_problem(u)) != NULL)
		return fail(x, prefix, key, "%s", why);
	free(*out);
	if ((*out = url_copy(u)) == NULL)
		return fail(x, prefix, key, "out of memory");
	return 0;
}

/* A name that goes into SQL: letters, digits and _, not a digit first. */
static int
sql_name(const char *s, size_t max)
{
	size_t	 n = strlen(s);

	return n > 0 && n <= max && strspn(s, NAME_CHARS) == n &&
	    !(s[0] >= '0' && s[0] <= '9');
}

static int
parse_nodes(struct ctx *x, struct conf_clickhouse *ch, const cJSON *a)
{
	const char	*p = "clickhouse.";
	const cJSON	*it;
	char		 key[32];
	size_t		 n, i, k;

	if (!cJSON_IsArray(a) || (n = (size_t)cJSON_GetArraySize(a)) == 0 ||
	    n > MAX_NODES)
		return fail(x, p, "nodes", "must be an array of 1 to %d "
		    "http:// or https:// URLs", MAX_NODES);
	if ((ch->nodes = calloc(n, sizeof(*ch->nodes))) == NULL)
		return fail(x, p, "nodes", "out of memory");
	i = 0;
	cJSON_ArrayForEach(it, a) {
		snprintf(key, sizeof(key), "nodes[%zu]", i);
		if (!cJSON_IsString(it))
			return fail(x, p, key, "must be a string");
		if (get_url(x, p, key, it->valuestring, &ch->nodes[i]))
			return -1;
		ch->nnodes = ++i;
		for (k = 0; k + 1 < i; k++)
			if (strcmp(ch->nodes[k], ch->nodes[i - 1]) == 0)
				return fail(x, p, key, "\"%s\" is listed twice "
				    "(nodes[%zu])", ch->nodes[k], k);
	}
	return 0;
}

static int
parse_clickhouse(struct ctx *x, struct conf *c, const cJSON *o)
{
	static const char *const keys[] = { "url", "database", "user",
	    "password", "cluster", "nodes", NULL };
	struct conf_clickhouse	*ch = &c->clickhouse;
	const char		*p = "clickhouse.";
	const cJSON		*nodes;
	char			*url = NULL;
	size_t			 i;
	int			 rc = -1;

	if (check_keys(x, o, p, keys) ||
	    get_string(x, o, p, "url", 1, &url) ||
	    get_string(x, o, p, "database", 1, &ch->database) ||
	    get_string(x, o, p, "user", 0, &ch->user) ||
	    get_string(x, o, p, "password", 0, &ch->password) ||
	    get_string(x, o, p, "cluster", 0, &ch->cluster))
		goto out;
	if (url == NULL) {
		fail(x, p, "url", "is required: the HTTP URL of the node that "
		    "takes inserts and queries");
		goto out;
	}
	if (get_url(x, p, "url", url, &ch->url))
		goto out;
	if (!sql_name(ch->database, 64)) {
		fail(x, p, "database", "must be 1 to 64 of A-Z, a-z, 0-9 and _, "
		    "not starting with a digit");
		goto out;
	}
	/* Basic auth joins them with ":"; a control character is no name. */
	if (strlen(ch->user) > 128 || strpbrk(ch->user, ":\t\r\n") != NULL) {
		fail(x, p, "user", "must be at most 128 characters, without "
		    "\":\" or control characters");
		goto out;
	}
	if (strlen(ch->password) > 1024) {
		fail(x, p, "password", "must be at most 1024 characters");
		goto out;
	}
	if (ch->cluster[0] != '\0' && !sql_name(ch->cluster, 128)) {
		fail(x, p, "cluster", "must be \"\" (one server) or a name of "
		    "remote_servers: 1 to 128 of A-Z, a-z, 0-9 and _, not "
		    "starting with a digit");
		goto out;
	}
	if ((nodes = cJSON_GetObjectItemCaseSensitive(o, "nodes")) != NULL) {
		if (parse_nodes(x, ch, nodes))
			goto out;
		if (ch->cluster[0] == '\0' && (ch->nnodes != 1 ||
		    strcmp(ch->nodes[0], ch->url) != 0)) {
			fail(x, p, "nodes", "must be [url] or absent when "
			    "cluster is \"\" (one server)");
			goto out;
		}
		for (i = 0; i < ch->nnodes; i++)
			if (strcmp(ch->nodes[i], ch->url) == 0)
				break;
		if (i == ch->nnodes) {
			fail(x, p, "url", "must be one of clickhouse.nodes "
			    "(the Distributed table is made on the nodes)");
			goto out;
		}
	} else if (ch->cluster[0] != '\0') {
		fail(x, p, "nodes", "is required when cluster is set: every "
		    "node's HTTP URL");
		goto out;
	} else {
		if ((ch->nodes = calloc(1, sizeof(*ch->nodes))) == NULL ||
		    (ch->nodes[0] = strdup(ch->url)) == NULL) {
			fail(x, p, "nodes", "out of memory");
			goto out;
		}
		ch->nnodes = 1;
	}
	rc = 0;
out:
	free(url);
	return rc;
}

static int
parse_ship(struct ctx *x, struct conf *c, const cJSON *o)
{
	static const char *const keys[] = { "host", "keep_days", "batch_rows",
	    NULL };
	const char	*p = "ship.";
	size_t		 n;

	if (check_keys(x, o, p, keys) ||
	    get_string(x, o, p, "host", 1, &c->ship.host) ||
	    get_long(x, o, p, "keep_days", 0, 36500, &c->ship.keep_days) ||
	    get_long(x, o, p, "batch_rows", 1, 1000000, &c->ship.batch_rows))
		return -1;
	if (c->ship.host == NULL)
		return fail(x, p, "host", "is required: this ingest host's "
		    "name, as ClickHouse stores it with each row");
	n = strlen(c->ship.host);
	if (n > 64 || strspn(c->ship.host, NAME_CHARS ".-") != n)
		return fail(x, p, "host", "must be 1 to 64 of A-Z, a-z, 0-9, "
		    "., _ and -");
	if (c->clickhouse.url == NULL)
		return fail(x, "", "ship", "needs the \"clickhouse\" section: "
		    "where to ship");
	return 0;
}

int
conf_parse_scale(struct ctx *x, struct conf *c, const cJSON *root)
{
	struct conf_clickhouse	*ch = &c->clickhouse;
	const cJSON		*o;

	if ((ch->database = strdup("apimon")) == NULL ||
	    (ch->user = strdup("")) == NULL ||
	    (ch->password = strdup("")) == NULL ||
	    (ch->cluster = strdup("")) == NULL)
		return fail(x, "", "clickhouse", "out of memory");
	c->ship.keep_days = 7;
	c->ship.batch_rows = 100000;
	if ((o = cJSON_GetObjectItemCaseSensitive(root, "clickhouse")) != NULL &&
	    parse_clickhouse(x, c, o))
		return -1;
	if ((o = cJSON_GetObjectItemCaseSensitive(root, "ship")) != NULL &&
	    parse_ship(x, c, o))
		return -1;
	return 0;
}

void
conf_free_scale(struct conf *c)
{
	struct conf_clickhouse	*ch = &c->clickhouse;
	size_t			 i;

	free(ch->url);
	free(ch->database);
	free(ch->user);
	free(ch->password);
	free(ch->cluster);
	for (i = 0; i < ch->nnodes; i++)
		free(ch->nodes[i]);
	free(ch->nodes);
	free(c->ship.host);
	memset(ch, 0, sizeof(*ch));
	memset(&c->ship, 0, sizeof(c->ship));
}
