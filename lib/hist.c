/* hist.c — mergeable log-scale latency histograms with bounded error. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "hist.h"

#define GAMMA	((1 + HIST_REL_ERROR) / (1 - HIST_REL_ERROR))

int
hist_lat_bucket(int64_t us)
{
	return us <= 1000000 ? 0 : us <= 2000000 ? 1 : us <= 3000000 ? 2 :
	    us <= 5000000 ? 3 : 4;
}

/* The definition, by logarithms: what the table below is built from. */
static int
index_by_log(int64_t us)
{
	double	 i;

	if (us <= 1)
		return 0;
	i = ceil(log((double)us) / log(GAMMA));
	/* Guard against log() landing a hair past an exact boundary. */
	if (i > 1 && pow(GAMMA, i - 1) >= (double)us)
		i--;
	return i >= HIST_BUCKETS ? HIST_BUCKETS - 1 : (int)i;
}

/* The largest value of each bucket: a rollup adds every row. */
static int64_t	 bucket_last[HIST_BUCKETS];

__attribute__((constructor)) static void
make_last(void)
{
	int64_t	 v;
	int	 i;

	for (i = 0; i < HIST_BUCKETS - 1; i++) {
		v = (int64_t)floor(pow(GAMMA, i));
		while (index_by_log(v + 1) <= i)
			v++;
		while (v > 1 && index_by_log(v) > i)
			v--;
		bucket_last[i] = v;
	}
	bucket_last[HIST_BUCKETS - 1] = INT64_MAX;
}

int
hist_index(int64_t us)
{
	int	 lo = 0, hi = HIST_BUCKETS - 1, mid;

	/* The first bucket whose last value is at least us. */
	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (bucket_last[mid] < us)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

void
hist_add(struct hist *h, int64_t us)
{
	h->n[hist_index(us)]++;
	h->total++;
}

void
hist_merge(struct hist *dst, const struct hist *src)
{
	int	 i;

	for (i = 0; i < HIST_BUCKETS; i++)
		dst->n[i] += src->n[i];
	dst->total += src->total;
}

int64_t
hist_quantile(const struct hist *h, double q)
{
	uint64_t	 rank, seen = 0;
	int		 i;

	if (h->total == 0)
		return 0;
	if (q < 0)
		q = 0;
	if (q > 1)
		q = 1;
	/* Nearest rank: the smallest value with at least q of all at or below. */
	rank = (uint64_t)ceil(q * (double)h->total);
	if (rank == 0)
		rank = 1;
	for (i = 0; i < HIST_BUCKETS; i++) {
		seen += h->n[i];
		if (seen >= rank)
			break;
	}
	return hist_value(i);
}

int64_t
hist_value(int i)
{
	return i <= 0 ? 1 : llround(2 * pow(GAMMA, i) / (GAMMA + 1));
}

static size_t
put_varint(unsigned char *p, uint64_t v)
{
	size_t	 n = 0;

	while (v >= 0x80) {
		p[n++] = (unsigned char)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (unsigned char)v;
	return n;
}

static int
get_varint(const unsigned char **p, const unsigned char *end, uint64_t *v)
{
	int	 shift = 0;

	*v = 0;
	while (*p < end && shift < 64) {
		unsigned char b = *(*p)++;
		*v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return 0;
		shift += 7;
	}
	return -1;
}

size_t
hist_encode(const struct hist *h, unsigned char *buf, size_t size)
{
	unsigned char	 tmp[20];
	size_t		 len = 0, k;
	int		 i, last = -1;

	for (i = 0; i < HIST_BUCKETS; i++) {
		if (h->n[i] == 0)
			continue;
		k = put_varint(tmp, (uint64_t)(i - last));
		k += put_varint(tmp + k, h->n[i]);
		if (len + k > size)
			return 0;
		memcpy(buf + len, tmp, k);
		len += k;
		last = i;
	}
	return len;
}

int
hist_decode_add(struct hist *h, const unsigned char *buf, size_t len)
{
	const unsigned char	*p = buf, *end = buf + len;
	struct hist		 add;
	uint64_t		 gap, count;
	int64_t			 i = -1;

	memset(&add, 0, sizeof(add));
	while (p < end) {
		if (get_varint(&p, end, &gap) || get_varint(&p, end, &count) ||
		    gap == 0 || gap > HIST_BUCKETS || i + (int64_t)gap >= HIST_BUCKETS)
			return -1;
		i += (int64_t)gap;
		add.n[i] += count;
		add.total += count;
	}
	hist_merge(h, &add);
	return 0;
}
