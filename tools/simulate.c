/* apimon-simulate: print realistic, seed-deterministic AI API traffic as NDJSON. */

#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "log.h"
#include "ts.h"

#define PROG		"apimon-simulate"

#define MS_PER_HOUR	3600000LL
#define MS_PER_DAY	86400000LL
#define MAX_DAYS	3650
#define MAX_PER_DAY	1000000
/* 10000-01-01T00:00:00Z: the first instant RFC 3339's four-digit year cannot show. */
#define MAX_END_MS	253402300800000LL

#define BASE_FAIL_P	0.035	/* AI calls outside bursts; bursts add ~0.6 % overall */
#define SYSTEM_FAIL_P	0.002	/* /start, /help, /settings never reach a provider */
#define SLOW_TAIL_P	0.02	/* share of successful calls hit by an overloaded upstream */
#define TIMEOUT_S	30.0	/* the callers' upstream deadline */
#define BURST_BLOCK_H	96	/* one failure burst of 1-2 hours per 4 days */
#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))
#define CHECK_EVERY	4096	/* lines between checks for a failed stdout */

/* Tags keep the stateless hash streams (per day, per burst, per user) apart. */
enum { TAG_DAY = 1, TAG_BURST, TAG_USER };

/* ---- random numbers -------------------------------------------------------
 * xoshiro256** seeded through splitmix64: small, fast and identical on every
 * platform, unlike rand().  Per-event draws come from one sequential stream;
 * per-day and per-hour facts come from a hash so they depend only on the seed
 * and the calendar, not on how much traffic came before them.
 */

struct rng {
	uint64_t s[4];
};

static uint64_t
splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static void
rng_seed(struct rng *r, uint64_t seed)
{
	uint64_t x = seed;

	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&x);
}

static uint64_t
rng_next(struct rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

/* Map 64 random bits to (0, 1): never 0, so log() is always finite. */
static double
unit_open(uint64_t bits)
{
	return ((double)(bits >> 11) + 0.5) * 0x1.0p-53;
}

static double
rng_unif(struct rng *r)
{
	return unit_open(rng_next(r));
}

static double
rng_normal(struct rng *r)
{
	double u1 = rng_unif(r), u2 = rng_unif(r);

	return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

static double
rng_lognormal(struct rng *r, double median, double sigma)
{
	return median * exp(sigma * rng_normal(r));
}

/* Index drawn with probability weight[i] / sum(weight); weights need not sum to 1. */
static size_t
rng_pick(struct rng *r, const double *weight, size_t n)
{
	double sum = 0, x;

	for (size_t i = 0; i < n; i++)
		sum += weight[i];
	x = rng_unif(r) * sum;
	for (size_t i = 0; i + 1 < n; i++) {
		if (x < weight[i])
			return i;
		x -= weight[i];
	}
	return n - 1;
}

static uint64_t
hash64(uint64_t seed, uint64_t tag, uint64_t key)
{
	uint64_t x = seed ^ (tag * 0xd1b54a32d192ed03ULL);

	x = splitmix64(&x) ^ key;
	return splitmix64(&x);
}

/* ---- the simulated world ---------------------------------------------------
 * Prices are the published list prices in nano-dollars per token (USD per
 * million tokens x 1000), so a cost is an exact integer, like in the database.
 */

enum provider { P_OPENAI, P_ANTHROPIC, P_GOOGLE, NPROV };

static const char *const provider_name[NPROV] = { "openai", "anthropic", "google" };

struct model {
	const char	*name;
	enum provider	 provider;
	int64_t		 in_nusd, out_nusd;	/* per token */
	double		 ttft_s;		/* median time to first token */
	double		 tok_per_s;		/* median output speed */
};

static const struct model models[] = {
	{ "gpt-4o-mini",	P_OPENAI,	 150,   600, 0.40, 150 },
	{ "gpt-4o",		P_OPENAI,	2500, 10000, 0.55,  95 },
	{ "claude-3-5-haiku",	P_ANTHROPIC,	 800,  4000, 0.55, 110 },
	{ "claude-3-5-sonnet",	P_ANTHROPIC,	3000, 15000, 0.80,  75 },
	{ "gemini-1.5-flash",	P_GOOGLE,	  75,   300, 0.35, 200 },
};
#define NMODEL NELEM(models)

enum kind { K_SYSTEM, K_ASK, K_CHAT, K_SUMMARIZE, K_TRANSLATE, K_IMAGE, K_CODE, NKIND };

/* Token sizes are log-normal (median, sigma); model_w says who serves the kind. */
struct kind_profile {
	double	in_med, in_sigma, out_med, out_sigma;
	double	model_w[NMODEL];
};

static const struct kind_profile profiles[NKIND] = {
	[K_ASK] =	{  180, 0.6, 110, 0.6, { 45, 15, 12,  8, 20 } },
	[K_CHAT] =	{ 1100, 0.8, 140, 0.6, { 40, 10, 25, 10, 15 } },
	[K_SUMMARIZE] =	{ 3200, 0.7, 180, 0.4, { 30,  5, 20, 10, 35 } },
	[K_TRANSLATE] =	{  160, 0.6,   0, 0.0, { 45, 10, 10,  5, 30 } },
	/* Vision: an image is ~1000 input tokens; claude-3-5-haiku cannot see. */
	[K_IMAGE] =	{ 1250, 0.25, 120, 0.5, { 20, 40,  0, 25, 15 } },
	[K_CODE] =	{ 1400, 0.8, 300, 0.6, { 10, 30,  5, 50,  5 } },
};

struct command {
	const char	*text;
	enum kind	 kind;
	double		 weight;
};

/* Longer than ingest.command_max_chars (200) on purpose, with UTF-8 in it. */
#define LONG_PROMPT							\
	"Summarize these meeting notes for the team and list the action "	\
	"items with owners: we reviewed the Q3 roadmap, agreed that the "	\
	"café-menu app ships first, moved the résumé parser to Q4 and "	\
	"asked Zoë to check the naïve date handling before the release — "	\
	"then we talked about hiring."

static const struct command web_cmds[] = {
	{ "/chat", K_CHAT, 22 },
	{ "Write a polite follow-up email to a client about an unpaid invoice", K_ASK, 8 },
	{ "Explain the difference between TCP and UDP like I'm five", K_ASK, 8 },
	{ "Plan a 3-day trip to Lisbon on a budget", K_ASK, 6 },
	{ "Rewrite this paragraph to sound friendlier", K_ASK, 6 },
	{ "Summarize this article in three bullet points", K_SUMMARIZE, 10 },
	{ LONG_PROMPT, K_SUMMARIZE, 2 },
	{ "Translate to French: \"The meeting has moved to Thursday.\"", K_TRANSLATE, 7 },
	{ "Why does my Python loop print the last value twice?", K_CODE, 8 },
	{ "Explain the regex \"^\\d{3}-\\d{4}$\" step by step", K_CODE, 4 },
	{ "What is in this photo? Describe it for alt text.", K_IMAGE, 6 },
	{ "/settings", K_SYSTEM, 3 },
	{ "/help", K_SYSTEM, 2 },
};

static const struct command telegram_cmds[] = {
	{ "/ask", K_ASK, 30 },
	{ "/chat", K_CHAT, 22 },
	{ "/translate", K_TRANSLATE, 12 },
	{ "/summarize", K_SUMMARIZE, 10 },
	{ "/image", K_IMAGE, 6 },
	{ "hi, can you help me with my homework?", K_ASK, 4 },
	{ "/start", K_SYSTEM, 6 },
	{ "/help", K_SYSTEM, 4 },
	{ "/settings", K_SYSTEM, 2 },
};

static const struct command discord_cmds[] = {
	{ "/ask", K_ASK, 26 },
	{ "/chat", K_CHAT, 24 },
	{ "/code", K_CODE, 16 },
	{ "/image", K_IMAGE, 10 },
	{ "/summarize", K_SUMMARIZE, 8 },
	{ "/translate", K_TRANSLATE, 6 },
	{ "/help", K_SYSTEM, 6 },
	{ "/settings", K_SYSTEM, 3 },
	{ "/start", K_SYSTEM, 1 },
};

static const struct command wechat_cmds[] = {
	{ "帮我把这段话翻译成英文", K_TRANSLATE, 18 },
	{ "/translate", K_TRANSLATE, 10 },
	{ "总结一下这篇文章的要点", K_SUMMARIZE, 14 },
	{ "今天适合做什么运动？", K_ASK, 12 },
	{ "写一首关于秋天的短诗", K_ASK, 10 },
	{ "你好", K_CHAT, 15 },
	{ "这张图片里有什么？", K_IMAGE, 6 },
	{ "/help", K_SYSTEM, 5 },
	{ "/settings", K_SYSTEM, 3 },
};

enum { SRC_WEB, SRC_TELEGRAM, SRC_DISCORD, SRC_WECHAT, NSRC };

#define MAX_USERS 64

/* A source's metadata: two keys, each value drawn from a small list. */
struct meta_spec {
	const char	*key[2];
	const char	*const *vals[2];
	size_t		 nvals[2];
};

static const char *const browsers[] = { "chrome", "firefox", "safari", "edge" };
static const char *const web_client[] = { "web" };
static const char *const chat_types[] = { "private", "group", "supergroup" };
static const char *const tg_langs[] = { "en", "ru", "es", "de", "pt" };
static const char *const guilds[] = { "ai-lab", "gamedev-hub", "study-group" };
static const char *const channels[] = { "general", "bot-spam", "help" };
static const char *const msg_types[] = { "text", "voice" };
static const char *const zh_lang[] = { "zh-CN" };

struct source {
	const char		*name;
	int			 nusers;
	double			 anon_p;	/* no user_id: logged-out web visitors */
	double			 stream_p;	/* AI calls that stream their answer */
	const struct command	*cmds;
	size_t			 ncmds;
	struct meta_spec	 meta;
};

static const struct source sources[NSRC] = {
	[SRC_WEB] = { "web", 64, 0.03, 0.75, web_cmds, NELEM(web_cmds),
	    { { "client", "browser" }, { web_client, browsers },
	      { NELEM(web_client), NELEM(browsers) } } },
	[SRC_TELEGRAM] = { "telegram", 56, 0, 0.40, telegram_cmds,
	    NELEM(telegram_cmds), { { "chat_type", "lang" },
	      { chat_types, tg_langs }, { NELEM(chat_types), NELEM(tg_langs) } } },
	[SRC_DISCORD] = { "discord", 48, 0, 0.50, discord_cmds,
	    NELEM(discord_cmds), { { "guild", "channel" },
	      { guilds, channels }, { NELEM(guilds), NELEM(channels) } } },
	[SRC_WECHAT] = { "wechat", 40, 0, 0, wechat_cmds,
	    NELEM(wechat_cmds), { { "msg_type", "lang" },
	      { msg_types, zh_lang }, { NELEM(msg_types), NELEM(zh_lang) } } },
};

/* Zipf (s = 1.1) cumulative weights per source: a few heavy users, a long tail. */
static double zipf_cdf[NSRC][MAX_USERS];

static void
zipf_init(void)
{
	for (int s = 0; s < NSRC; s++) {
		double sum = 0;

		for (int k = 0; k < sources[s].nusers; k++) {
			sum += pow(k + 1, -1.1);
			zipf_cdf[s][k] = sum;
		}
	}
}

static int
zipf_pick(struct rng *r, int src)
{
	int n = sources[src].nusers;
	double x = rng_unif(r) * zipf_cdf[src][n - 1];

	for (int k = 0; k < n - 1; k++)
		if (x < zipf_cdf[src][k])
			return k;
	return n - 1;
}

/*
 * User ids look like each platform's own and do not depend on the seed, so
 * every run talks about the same population of users.
 */
static void
user_id(char *buf, size_t len, int src, int rank)
{
	uint64_t h = hash64(0, TAG_USER, (uint64_t)src << 32 | (uint64_t)rank);

	switch (src) {
	case SRC_WEB:
		snprintf(buf, len, "web-%06" PRIx64, h & 0xffffff);
		break;
	case SRC_TELEGRAM:
		snprintf(buf, len, "tg-%" PRIu64,
		    UINT64_C(100000000) + h % UINT64_C(7000000000));
		break;
	case SRC_DISCORD:
		snprintf(buf, len, "dc-%" PRIu64,
		    UINT64_C(300000000000000000) + h % UINT64_C(900000000000000000));
		break;
	default:
		snprintf(buf, len, "wx-o%015" PRIx64, h >> 4);
		break;
	}
}

/* ---- failures ---------------------------------------------------------- */

enum status { ST_SUCCESS, ST_ERROR, ST_TIMEOUT, ST_RATE_LIMITED, NSTATUS };

static const char *const status_name[NSTATUS] = {
	"success", "error", "timeout", "rate_limited"
};

static const char *const provider_errors[NPROV][3] = {
	[P_OPENAI] = {
		"openai: 500 server_error: The server had an error while processing your request",
		"openai: 502 Bad Gateway",
		"openai: 400 context_length_exceeded: maximum context length is 128000 tokens",
	},
	[P_ANTHROPIC] = {
		"anthropic: 529 overloaded_error: Overloaded",
		"anthropic: 500 api_error: Internal server error",
		"anthropic: 400 invalid_request_error: prompt is too long",
	},
	[P_GOOGLE] = {
		"google: 503 UNAVAILABLE: The model is overloaded. Please try again later.",
		"google: 500 INTERNAL: An internal error has occurred",
		"google: 400 INVALID_ARGUMENT: Request contains an invalid argument",
	},
};

static const char *const provider_rate_limits[NPROV] = {
	"openai: 429 rate_limit_exceeded: Rate limit reached for requests per min (RPM)",
	"anthropic: 429 rate_limit_error: Number of request tokens has exceeded your per-minute rate limit",
	"google: 429 RESOURCE_EXHAUSTED: Quota exceeded for requests per minute",
};

/* Status mix of a failure: {error, timeout, rate_limited} by cause. */
enum cause { CAUSE_BASE, CAUSE_OUTAGE, CAUSE_RATE_STORM, NCAUSE };

static const double failure_mix[NCAUSE][3] = {
	[CAUSE_BASE] =		{ 0.50, 0.20, 0.30 },
	[CAUSE_OUTAGE] =	{ 0.60, 0.35, 0.05 },
	[CAUSE_RATE_STORM] =	{ 0.10, 0.05, 0.85 },
};

/* ---- seasonality ----------------------------------------------------------
 * Hourly shapes in UTC (quiet at night, busy afternoons and evenings);
 * weekends are lower, flatter and start later.
 */

static const double hour_weekday[24] = {
	0.25, 0.18, 0.12, 0.10, 0.10, 0.14, 0.25, 0.45, 0.70, 0.90, 1.00, 1.05,
	0.95, 1.05, 1.20, 1.25, 1.20, 1.10, 1.05, 1.15, 1.25, 1.20, 0.90, 0.55,
};

static const double hour_weekend[24] = {
	0.40, 0.30, 0.20, 0.14, 0.12, 0.12, 0.16, 0.25, 0.40, 0.60, 0.80, 0.95,
	1.00, 1.05, 1.10, 1.10, 1.10, 1.10, 1.15, 1.25, 1.30, 1.25, 1.00, 0.70,
};

/* Relative volume by weekday, Sunday first. */
static const double day_weight[7] = { 0.75, 1.00, 1.02, 1.02, 1.00, 0.95, 0.70 };

static double
sum_of(const double *v, size_t n)
{
	double s = 0;

	for (size_t i = 0; i < n; i++)
		s += v[i];
	return s;
}

struct hour_ctx {
	double		rate_per_ms;	/* expected requests per millisecond */
	double		burst_fail_p;	/* 0 outside a burst */
	enum cause	burst_cause;
};

/* A day's volume wanders around its weekday's level (log-normal, mean 1). */
static double
day_factor(uint64_t seed, int64_t day)
{
	const double sigma = 0.10;
	uint64_t h1 = hash64(seed, TAG_DAY, (uint64_t)day);
	uint64_t h2 = hash64(seed, TAG_DAY, (uint64_t)day ^ UINT64_C(0x8000000000000000));
	double z = sqrt(-2.0 * log(unit_open(h1))) * cos(2.0 * M_PI * unit_open(h2));

	return exp(sigma * z - sigma * sigma / 2);
}

/* Each block of BURST_BLOCK_H hours holds one burst of one or two hours. */
static void
burst_at(uint64_t seed, int64_t hour, struct hour_ctx *h)
{
	int64_t block = hour / BURST_BLOCK_H;

	h->burst_fail_p = 0;
	for (int64_t b = block - 1; b <= block; b++) {
		uint64_t x = hash64(seed, TAG_BURST, (uint64_t)b);
		int64_t start = b * BURST_BLOCK_H + (int64_t)(x % BURST_BLOCK_H);
		int64_t len = 1 + (int64_t)((x >> 32) & 1);

		if (hour >= start && hour < start + len) {
			h->burst_fail_p = 0.30 + 0.20 * unit_open(rotl(x, 24));
			h->burst_cause = (x >> 40) & 1 ? CAUSE_RATE_STORM : CAUSE_OUTAGE;
		}
	}
}

static struct hour_ctx
hour_context(uint64_t seed, int64_t hour, double per_day)
{
	struct hour_ctx h = { 0, 0, CAUSE_BASE };
	int64_t day = hour / 24;
	int dow = (int)((day + 4) % 7);		/* 1970-01-01 was a Thursday */
	int weekend = dow == 0 || dow == 6;
	const double *shape = weekend ? hour_weekend : hour_weekday;
	double day_share = day_weight[dow] / (sum_of(day_weight, 7) / 7);

	h.rate_per_ms = per_day * day_share * day_factor(seed, day) *
	    shape[hour % 24] / sum_of(shape, 24) / MS_PER_HOUR;
	burst_at(seed, hour, &h);
	return h;
}

/* ---- one request ---------------------------------------------------------- */

struct req {
	uint64_t		 n;
	int64_t			 ts_ms;
	int			 src;
	int			 user;		/* -1: anonymous */
	const struct command	*cmd;
	const struct model	*model;		/* NULL for system commands */
	enum status		 status;
	double			 exec_s;
	double			 ttft_s;	/* < 0: not streamed */
	int64_t			 in_tok, out_tok, cost_nusd;
	const char		*error;
	int			 meta;		/* include metadata */
	size_t			 meta_val[2];
};

static int64_t
clamp_tokens(double x, int64_t lo, int64_t hi)
{
	int64_t v = llround(x);

	return v < lo ? lo : v > hi ? hi : v;
}

static void
gen_tokens(struct rng *r, struct req *q, const struct kind_profile *p)
{
	q->in_tok = clamp_tokens(rng_lognormal(r, p->in_med, p->in_sigma), 5, 120000);
	/* A translation is about as long as its text; other answers are not. */
	if (q->cmd->kind == K_TRANSLATE)
		q->out_tok = clamp_tokens(q->in_tok * rng_lognormal(r, 1.1, 0.2), 1, 4096);
	else
		q->out_tok = clamp_tokens(rng_lognormal(r, p->out_med, p->out_sigma), 1, 4096);
	q->cost_nusd = q->in_tok * q->model->in_nusd + q->out_tok * q->model->out_nusd;
}

/*
 * Latency = first token (slower for long prompts) + output at the model's
 * speed + our own overhead; a few calls meet an overloaded upstream.
 */
static void
gen_latency(struct rng *r, struct req *q)
{
	const struct model *m = q->model;
	double ttft = rng_lognormal(r, m->ttft_s, 0.35) * (1.0 + q->in_tok / 30000.0);
	double gen = q->out_tok / rng_lognormal(r, m->tok_per_s, 0.25);
	double total = ttft + gen + rng_lognormal(r, 0.05, 0.5);

	if (rng_unif(r) < SLOW_TAIL_P)
		total *= 1.5 + 3.0 * rng_unif(r);
	q->exec_s = total;
	q->ttft_s = -1;
	if (rng_unif(r) < sources[q->src].stream_p)
		q->ttft_s = ttft < total ? ttft : total;
}

/* The caller gave up at its deadline: nothing billed, nothing streamed. */
static void
set_timeout(struct rng *r, struct req *q)
{
	q->status = ST_TIMEOUT;
	q->exec_s = TIMEOUT_S + 0.3 * rng_unif(r);
	q->ttft_s = -1;
	q->error = "upstream request timed out after 30 s";
	q->in_tok = q->out_tok = q->cost_nusd = 0;
}

static void
gen_failure(struct rng *r, struct req *q, enum cause cause)
{
	enum provider p = q->model->provider;

	q->status = (enum status)(ST_ERROR + rng_pick(r, failure_mix[cause], 3));
	switch (q->status) {
	case ST_TIMEOUT:
		set_timeout(r, q);
		return;
	case ST_RATE_LIMITED:
		q->exec_s = rng_lognormal(r, 0.12, 0.5);
		q->error = provider_rate_limits[p];
		break;
	default:
		q->exec_s = fmin(rng_lognormal(r, 0.6, 0.7), 20.0);
		q->error = provider_errors[p][rng_next(r) % 3];
		break;
	}
	/* Failed calls are not billed. */
	q->in_tok = q->out_tok = q->cost_nusd = 0;
}

static void
gen_ai(struct rng *r, struct req *q, const struct hour_ctx *h)
{
	const struct kind_profile *p = &profiles[q->cmd->kind];
	int in_burst = h->burst_fail_p > 0;

	q->model = &models[rng_pick(r, p->model_w, NMODEL)];
	if (rng_unif(r) < (in_burst ? h->burst_fail_p : BASE_FAIL_P)) {
		gen_failure(r, q, in_burst ? h->burst_cause : CAUSE_BASE);
		return;
	}
	q->status = ST_SUCCESS;
	gen_tokens(r, q, p);
	gen_latency(r, q);
	if (q->exec_s >= TIMEOUT_S)	/* the slow tail meets the deadline */
		set_timeout(r, q);
}

static void
gen_system(struct rng *r, struct req *q)
{
	q->model = NULL;
	q->status = ST_SUCCESS;
	q->exec_s = rng_lognormal(r, 0.045, 0.45);
	if (rng_unif(r) < SYSTEM_FAIL_P) {
		q->status = ST_ERROR;
		q->error = "bot: could not load user settings";
	}
}

static const struct command *
pick_command(struct rng *r, const struct source *s)
{
	double sum = 0, x;

	for (size_t i = 0; i < s->ncmds; i++)
		sum += s->cmds[i].weight;
	x = rng_unif(r) * sum;
	for (size_t i = 0; i + 1 < s->ncmds; i++) {
		if (x < s->cmds[i].weight)
			return &s->cmds[i];
		x -= s->cmds[i].weight;
	}
	return &s->cmds[s->ncmds - 1];
}

static void
gen_request(struct rng *r, struct req *q, const struct hour_ctx *h)
{
	static const double share[NSRC] = {
		[SRC_WEB] = 45, [SRC_TELEGRAM] = 30, [SRC_DISCORD] = 15, [SRC_WECHAT] = 10,
	};
	const struct source *s;

	q->src = (int)rng_pick(r, share, NSRC);
	s = &sources[q->src];
	q->user = rng_unif(r) < s->anon_p ? -1 : zipf_pick(r, q->src);
	q->cmd = pick_command(r, s);
	q->error = NULL;
	q->ttft_s = -1;
	if (q->cmd->kind == K_SYSTEM)
		gen_system(r, q);
	else
		gen_ai(r, q, h);
	q->meta = rng_unif(r) < 0.25;
	for (int i = 0; i < 2; i++)
		q->meta_val[i] = rng_next(r) % s->meta.nvals[i];
}

/* ---- output --------------------------------------------------------------- */

/* A JSON string: quote, backslash and control bytes escaped; UTF-8 passes. */
static void
json_str(FILE *f, const char *s)
{
	putc('"', f);
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			putc('\\', f);
			putc(c, f);
		} else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			putc(c, f);
	}
	putc('"', f);
}

/* Exact decimal dollars from nano-dollars, trailing zeros trimmed: 0.00012345. */
static void
json_money(FILE *f, int64_t nusd)
{
	char frac[24];
	size_t len;

	snprintf(frac, sizeof(frac), "%09" PRId64, nusd % 1000000000);
	len = strlen(frac);
	while (len > 0 && frac[len - 1] == '0')
		frac[--len] = '\0';
	if (len == 0)
		fprintf(f, "%" PRId64, nusd / 1000000000);
	else
		fprintf(f, "%" PRId64 ".%s", nusd / 1000000000, frac);
}

/* RFC 3339 UTC with milliseconds. */
static void
json_time(FILE *f, int64_t ms)
{
	char	 t[TS_RFC3339_LEN];

	ts_format_rfc3339(ms, t);
	fprintf(f, "\"%s\"", t);
}

static void
emit_key(FILE *f, const char *key)
{
	fprintf(f, ",\"%s\":", key);
}

static void
emit_metadata(FILE *f, const struct req *q)
{
	const struct meta_spec *m = &sources[q->src].meta;

	emit_key(f, "metadata");
	putc('{', f);
	for (int i = 0; i < 2; i++) {
		if (i > 0)
			putc(',', f);
		json_str(f, m->key[i]);
		putc(':', f);
		json_str(f, m->vals[i][q->meta_val[i]]);
	}
	if (q->ttft_s >= 0)
		fputs(",\"stream\":true", f);
	putc('}', f);
}

static void
emit_ai_fields(FILE *f, const struct req *q)
{
	emit_key(f, "model");
	json_str(f, q->model->name);
	emit_key(f, "provider");
	json_str(f, provider_name[q->model->provider]);
	emit_key(f, "input_tokens");
	fprintf(f, "%" PRId64, q->in_tok);
	emit_key(f, "output_tokens");
	fprintf(f, "%" PRId64, q->out_tok);
	if (q->ttft_s >= 0) {
		emit_key(f, "time_to_first_token");
		fprintf(f, "%.3f", q->ttft_s);
	}
}

static void
emit_request(FILE *f, const struct req *q, uint64_t seed)
{
	char uid[48];

	fprintf(f, "{\"request_id\":\"sim-%" PRIu64 "-%" PRIu64 "\"", seed, q->n);
	emit_key(f, "source");
	json_str(f, sources[q->src].name);
	emit_key(f, "status");
	json_str(f, status_name[q->status]);
	emit_key(f, "execution_time");
	fprintf(f, "%.3f", q->exec_s < 0.001 ? 0.001 : q->exec_s);
	if (q->user >= 0) {
		user_id(uid, sizeof(uid), q->src, q->user);
		emit_key(f, "user_id");
		json_str(f, uid);
	}
	emit_key(f, "command");
	json_str(f, q->cmd->text);
	if (q->model != NULL) {
		emit_key(f, "tokens_used");
		fprintf(f, "%" PRId64, q->in_tok + q->out_tok);
		emit_key(f, "cost");
		json_money(f, q->cost_nusd);
	}
	emit_key(f, "timestamp");
	json_time(f, q->ts_ms);
	if (q->model != NULL)
		emit_ai_fields(f, q);
	if (q->error != NULL) {
		emit_key(f, "error");
		json_str(f, q->error);
	}
	if (q->meta)
		emit_metadata(f, q);
	fputs("}\n", f);
}

/* ---- the run -------------------------------------------------------------- */

struct opts {
	int64_t		days, per_day, end_ms;
	uint64_t	seed;
};

/*
 * Arrivals are a Poisson process whose rate is constant within each UTC hour:
 * exponential gaps, restarted at every hour boundary (the process has no
 * memory), so timestamps come out sorted with no buffering at all.
 * Returns 0, or -1 when stdout failed.
 */
static int
simulate(FILE *out, const struct opts *o)
{
	struct rng r;
	struct req q;
	int64_t seg = o->end_ms - o->days * MS_PER_DAY;

	rng_seed(&r, o->seed);
	zipf_init();
	memset(&q, 0, sizeof(q));
	while (seg < o->end_ms) {
		int64_t hour = seg / MS_PER_HOUR;
		int64_t seg_end = (hour + 1) * MS_PER_HOUR;
		struct hour_ctx h = hour_context(o->seed, hour, (double)o->per_day);
		double t = (double)seg;

		if (seg_end > o->end_ms)
			seg_end = o->end_ms;
		for (;;) {
			t += -log(rng_unif(&r)) / h.rate_per_ms;
			if (t >= (double)seg_end)
				break;
			q.n++;
			q.ts_ms = (int64_t)t;
			gen_request(&r, &q, &h);
			emit_request(out, &q, o->seed);
			if (q.n % CHECK_EVERY == 0 && ferror(out))
				return -1;
		}
		seg = seg_end;
	}
	return 0;
}

/* ---- command line --------------------------------------------------------- */

static void
usage(FILE *f)
{
	fputs("usage: " PROG " [--days N] [--per-day N] [--seed N] [--end TIME]"
	    " [--config FILE]\n"
	    "       " PROG " --help | --version\n"
	    "Print simulated AI API requests as NDJSON on stdout, e.g. for\n"
	    "`apimon-ingest --import -`.\n"
	    "  --days N       days of traffic, ending at --end (1-3650; default 7)\n"
	    "  --per-day N    average requests per day (1-1000000; default 1000)\n"
	    "  --seed N       random seed (default 1); the same arguments print the\n"
	    "                 same bytes\n"
	    "  --end TIME     RFC 3339 time the traffic ends before, e.g.\n"
	    "                 2026-11-26T10:15:00Z (default: now)\n"
	    "  --config FILE  accepted like every apimon program, but ignored:\n"
	    "                 the simulator needs no configuration\n"
	    "  --help         print this help\n"
	    "  --version      print the version\n"
	    "Request ids are sim-SEED-N, so a rerun with the same seed repeats\n"
	    "ids, which the ingest counts as duplicates; pick another --seed to\n"
	    "add more traffic.  Seasonality follows UTC.\n", f);
}

static int
usage_error(const char *opt, const char *what)
{
	fprintf(stderr, PROG ": %s: %s\n", opt, what);
	return 2;
}

/* Whole decimal string to [lo, hi]; returns 0 or -1. */
static int
parse_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *v)
{
	uint64_t x = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		unsigned d = (unsigned char)*s - '0';

		if (d > 9 || x > (UINT64_MAX - d) / 10)
			return -1;
		x = x * 10 + d;
	}
	if (x < lo || x > hi)
		return -1;
	*v = x;
	return 0;
}

enum { OPT_DAYS = 1, OPT_PER_DAY, OPT_SEED, OPT_END, OPT_CONFIG, OPT_HELP,
    OPT_VERSION };

static int
parse_number_opt(int opt, const char *arg, struct opts *o)
{
	uint64_t v;

	switch (opt) {
	case OPT_DAYS:
		if (parse_u64(arg, 1, MAX_DAYS, &v))
			return usage_error("--days", "must be an integer from 1 to 3650");
		o->days = (int64_t)v;
		return 0;
	case OPT_PER_DAY:
		if (parse_u64(arg, 1, MAX_PER_DAY, &v))
			return usage_error("--per-day",
			    "must be an integer from 1 to 1000000");
		o->per_day = (int64_t)v;
		return 0;
	default:
		if (parse_u64(arg, 0, UINT64_MAX, &o->seed))
			return usage_error("--seed",
			    "must be an integer from 0 to 18446744073709551615");
		return 0;
	}
}

/* Fills o; returns -1 to go on, else the exit code (0 after --help/--version). */
static int
parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "days", required_argument, NULL, OPT_DAYS },
		{ "per-day", required_argument, NULL, OPT_PER_DAY },
		{ "seed", required_argument, NULL, OPT_SEED },
		{ "end", required_argument, NULL, OPT_END },
		{ "config", required_argument, NULL, OPT_CONFIG },
		{ "help", no_argument, NULL, OPT_HELP },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ NULL, 0, NULL, 0 },
	};
	const char *end = NULL;
	int c, rc;

	opterr = 0;	/* our own one-line messages instead of getopt's */
	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_DAYS:
		case OPT_PER_DAY:
		case OPT_SEED:
			if ((rc = parse_number_opt(c, optarg, o)) != 0)
				return rc;
			break;
		case OPT_END:
			end = optarg;
			break;
		case OPT_CONFIG:
			break;	/* nothing to configure yet; see usage() */
		case OPT_HELP:
			usage(stdout);
			return 0;
		case OPT_VERSION:
			return cli_version(PROG);
		case ':':
			return usage_error(argv[optind - 1], "needs a value");
		case '?':
			if (optopt != 0)	/* a known option given a value */
				return usage_error(argv[optind - 1],
				    "takes no value");
			/* FALLTHROUGH */
		default:
			return usage_error(argv[optind - 1],
			    "unknown option (see --help)");
		}
	}
	if (optind < argc)
		return usage_error(argv[optind], "unexpected argument (see --help)");
	o->end_ms = (int64_t)time(NULL) * 1000;
	if (end != NULL && (ts_parse_rfc3339(end, &o->end_ms) || o->end_ms >= MAX_END_MS))
		return usage_error("--end", "must be an RFC 3339 time such as "
		    "2026-11-26T10:15:00Z");
	if (o->end_ms - o->days * MS_PER_DAY < 0)
		return usage_error("--end", "the --days window must start after 1970");
	return -1;
}

int
main(int argc, char **argv)
{
	static char outbuf[1 << 20];	/* one write(2) per megabyte */
	struct opts o = { .days = 7, .per_day = 1000, .seed = 1 };
	int rc;

	log_init(PROG);
	if ((rc = parse_args(argc, argv, &o)) > 0)
		return rc;
	if (rc < 0) {
		setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
		if (simulate(stdout, &o) != 0)
			goto fail;
	}
	if (ferror(stdout) || fclose(stdout) != 0)
		goto fail;
	return 0;
fail:
	perror(PROG ": stdout");
	return 1;
}
