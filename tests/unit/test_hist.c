/* test_hist.c — log-scale latency histograms: buckets, quantiles, blobs. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "hist.h"

/* GAMMA = 1.02 / 0.98 = 51 / 49, in long double to check hist.c's double. */
#define G_EXACT		(51.0L / 49.0L)
#define DAY_US		86400000000LL	/* the largest latency accepted */

static uint64_t	 rng = 88172645463325252ULL;	/* xorshift64, seeded */

static uint64_t
next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Uniform in (0, 1). */
static double
uniform(void)
{
	return ((double)(next() >> 11) + 0.5) / 9007199254740992.0;
}

/* Log-normal latency in microseconds: median median_us, shape sigma. */
static int64_t
lognormal(double median_us, double sigma)
{
	double	 z;

	z = sqrt(-2 * log(uniform())) * cos(2 * M_PI * uniform());
	return llround(median_us * exp(sigma * z));
}

static int
by_value(const void *x, const void *y)
{
	int64_t	 a = *(const int64_t *)x, b = *(const int64_t *)y;

	return (a > b) - (a < b);
}

/* The exact nearest-rank q-quantile of n sorted values. */
static int64_t
nearest_rank(const int64_t *sorted, size_t n, double q)
{
	size_t	 rank = (size_t)ceil(q * (double)n);

	return sorted[rank == 0 ? 0 : rank - 1];
}

/*
 * The bucket midpoint is within HIST_REL_ERROR of every real value in
 * the bucket; hist_quantile() then rounds it to whole microseconds, which
 * may add half a microsecond.  That is the bound the tests hold it to.
 */
static void
assert_close(int64_t got, int64_t exact, const char *what)
{
	double	 slack = HIST_REL_ERROR * (double)exact + 0.5;

	cr_assert_leq(fabs((double)got - (double)exact), slack,
	    "%s: got %lld us, exact %lld us (%.4f %% off)", what,
	    (long long)got, (long long)exact,
	    100 * fabs((double)got - (double)exact) / (double)exact);
}

static struct hist *
hist_new(void)
{
	struct hist	*h = calloc(1, sizeof(*h));

	cr_assert_not_null(h);
	return h;
}

/* ---- hist_index ---------------------------------------------------------- */

Test(hist, index_of_one_microsecond_and_less_is_0)
{
	cr_assert_eq(hist_index(1), 0);
	cr_assert_eq(hist_index(0), 0);
	cr_assert_eq(hist_index(-1), 0);
	cr_assert_eq(hist_index(INT64_MIN), 0);
}

/* GAMMA^17 = 1.973 < 2 <= GAMMA^18 = 2.054. */
Test(hist, index_of_two_microseconds_is_18)
{
	cr_assert_eq(hist_index(2), 18);
}

/*
 * GAMMA^i is irrational for i > 0, so the integers at a boundary are
 * floor(GAMMA^i), the last one in bucket i, and floor(GAMMA^i) + 1, the
 * first one past it.  Check both sides of every boundary up to 639.
 */
Test(hist, index_at_every_bucket_boundary)
{
	long double	 lo = 1, hi;
	int64_t		 first, last;
	int		 i, buckets_with_integers = 0;

	for (i = 1; i < HIST_BUCKETS; i++, lo = hi) {
		hi = powl(G_EXACT, i);
		first = (int64_t)floorl(lo) + 1;	/* > GAMMA^(i-1) */
		last = (int64_t)floorl(hi);		/* <= GAMMA^i */
		if (first > last)
			continue;	/* no integer in (GAMMA^(i-1), GAMMA^i] */
		buckets_with_integers++;
		cr_assert_eq(hist_index(first), i, "%lld: GAMMA^%d = %.6Lf",
		    (long long)first, i - 1, lo);
		cr_assert_eq(hist_index(last), i, "%lld: GAMMA^%d = %.6Lf",
		    (long long)last, i, hi);
		cr_assert_lt(hist_index(first - 1), i, "%lld: GAMMA^%d = "
		    "%.6Lf", (long long)(first - 1), i - 1, lo);
		if (i < HIST_BUCKETS - 1)	/* the last bucket has no end */
			cr_assert_gt(hist_index(last + 1), i, "%lld: GAMMA^%d = "
			    "%.6Lf", (long long)(last + 1), i, hi);
	}
	cr_assert_gt(buckets_with_integers, 500);
}

/* Every integer up to 2,000,000 us lands where the definition says. */
Test(hist, index_is_monotonic_and_matches_definition)
{
	long double	 lo, hi;
	int64_t		 v;
	int		 i, prev = 0;

	for (v = 2; v <= 2000000; v++) {
		i = hist_index(v);
		cr_assert_geq(i, prev, "%lld", (long long)v);
		cr_assert(i >= 1 && i < HIST_BUCKETS, "%lld -> %d",
		    (long long)v, i);
		lo = powl(G_EXACT, i - 1);
		hi = powl(G_EXACT, i);
		cr_assert((long double)v > lo && (long double)v <= hi,
		    "%lld in bucket %d: (%.6Lf, %.6Lf]", (long long)v, i, lo, hi);
		prev = i;
	}
}

/* Large values too, at random up to two days, and both sides of each. */
Test(hist, index_of_large_values_matches_definition)
{
	long double	 lo, hi;
	int64_t		 v;
	int		 i, k;

	for (k = 0; k < 200000; k++) {
		v = 2000000 + (int64_t)(next() % (uint64_t)(2 * DAY_US));
		i = hist_index(v);
		lo = powl(G_EXACT, i - 1);
		/* The last bucket has no end. */
		hi = i == HIST_BUCKETS - 1 ? INFINITY : powl(G_EXACT, i);
		cr_assert((long double)v > lo && (long double)v <= hi,
		    "%lld in bucket %d: (%.6Lf, %.6Lf]", (long long)v, i, lo, hi);
	}
}

Test(hist, index_of_a_day_fits_the_buckets)
{
	cr_assert_eq(hist_index(DAY_US), 630);
	cr_assert_leq(hist_index(DAY_US), HIST_BUCKETS - 1);
}

Test(hist, index_of_huge_values_is_the_last_bucket)
{
	cr_assert_eq(hist_index(INT64_MAX), HIST_BUCKETS - 1);
	cr_assert_eq(hist_index(1000 * DAY_US), HIST_BUCKETS - 1);
}

/* ---- hist_quantile ------------------------------------------------------- */

Test(hist, quantile_of_empty_histogram_is_0)
{
	struct hist	*h = hist_new();

	cr_assert_eq(hist_quantile(h, 0), 0);
	cr_assert_eq(hist_quantile(h, 0.5), 0);
	cr_assert_eq(hist_quantile(h, 0.99), 0);
	cr_assert_eq(hist_quantile(h, 1), 0);
	free(h);
}

Test(hist, quantile_of_values_up_to_1us_is_1)
{
	struct hist	*h = hist_new();

	hist_add(h, 0);
	hist_add(h, 1);
	cr_assert_eq(hist_quantile(h, 0), 1);
	cr_assert_eq(hist_quantile(h, 1), 1);
	free(h);
}

/* One value, every microsecond up to 20 ms, then geometric steps to 1 day. */
Test(hist, quantile_of_one_value_is_within_the_error)
{
	struct hist	*h = hist_new();
	int64_t		 v;
	double		 x;
	char		 what[64];

	for (v = 2; v <= 20000; v++) {
		hist_add(h, v);
		snprintf(what, sizeof(what), "single %lld", (long long)v);
		assert_close(hist_quantile(h, 0.5), v, what);
		h->n[hist_index(v)]--;
		h->total--;
	}
	for (x = 20000; x <= (double)DAY_US; x *= 1.0007) {
		v = (int64_t)x;
		hist_add(h, v);
		snprintf(what, sizeof(what), "single %lld", (long long)v);
		assert_close(hist_quantile(h, 0.5), v, what);
		h->n[hist_index(v)]--;
		h->total--;
	}
	free(h);
}

/* hist_value() is what a quantile answers for the bucket it stops in. */
Test(hist, value_of_a_bucket_is_its_midpoint)
{
	struct hist	*h = hist_new();
	long double	 mid;
	int		 i;

	cr_assert_eq(hist_value(0), 1);
	cr_assert_eq(hist_value(18), 2);	/* 2 * 2.0535 / 2.0408 */
	for (i = 1; i < HIST_BUCKETS; i++) {
		mid = 2 * powl(G_EXACT, i) / (G_EXACT + 1);
		/* Rounded to whole us; hist.c works in double, hence 1e-12. */
		cr_assert_leq(fabsl((long double)hist_value(i) - mid),
		    0.5L + mid * 1e-12L, "bucket %d: %lld, midpoint %.3Lf", i,
		    (long long)hist_value(i), mid);
		h->n[i] = 1;
		h->total = 1;
		cr_assert_eq(hist_quantile(h, 0.5), hist_value(i), "bucket %d",
		    i);
		h->n[i] = 0;
	}
	free(h);
}

static void
check_lognormal(uint64_t seed, size_t n, double median_us, double sigma)
{
	static const double	 qs[] = { 0.5, 0.95, 0.99, 0, 1, 0.25, 0.75,
	    0.999 };
	struct hist		*h = hist_new();
	int64_t			*v = calloc(n, sizeof(*v));
	char			 what[128];
	size_t			 i, k;

	cr_assert_not_null(v);
	rng = seed;
	for (i = 0; i < n; i++) {
		v[i] = lognormal(median_us, sigma);
		if (v[i] > DAY_US)
			v[i] = DAY_US;
		if (v[i] < 2)
			v[i] = 2;
		hist_add(h, v[i]);
	}
	cr_assert_eq(h->total, n);
	qsort(v, n, sizeof(*v), by_value);
	for (k = 0; k < sizeof(qs) / sizeof(qs[0]); k++) {
		snprintf(what, sizeof(what), "seed %llu, n %zu, q %g",
		    (unsigned long long)seed, n, qs[k]);
		assert_close(hist_quantile(h, qs[k]),
		    nearest_rank(v, n, qs[k]), what);
	}
	free(v);
	free(h);
}

Test(hist, quantiles_of_lognormal_latencies_are_within_2_percent)
{
	check_lognormal(1, 100000, 800000, 0.8);	/* LLM calls: ~0.8 s */
	check_lognormal(2, 100000, 45000, 1.5);		/* fast and skewed */
	check_lognormal(3, 10000, 3000000, 0.5);
	check_lognormal(4, 1000, 250, 2.0);		/* microseconds */
}

Test(hist, quantiles_of_tiny_samples_are_within_2_percent)
{
	size_t	 n;

	for (n = 1; n <= 12; n++)
		check_lognormal(100 + n, n, 500000, 1.0);
}

Test(hist, quantile_0_is_the_minimum_and_1_the_maximum)
{
	struct hist	*h = hist_new();

	hist_add(h, 1000);
	hist_add(h, 50000);
	hist_add(h, 2000000);
	assert_close(hist_quantile(h, 0), 1000, "q 0");
	assert_close(hist_quantile(h, 1), 2000000, "q 1");
	/* Nearest rank: ceil(0.5 * 3) = 2nd value; ceil(0.34 * 3) = 2nd. */
	assert_close(hist_quantile(h, 0.5), 50000, "q 0.5");
	assert_close(hist_quantile(h, 0.34), 50000, "q 0.34");
	assert_close(hist_quantile(h, 0.33), 1000, "q 0.33");
	free(h);
}

Test(hist, quantile_clamps_q_to_0_and_1)
{
	struct hist	*h = hist_new();

	hist_add(h, 1000);
	hist_add(h, 2000000);
	cr_assert_eq(hist_quantile(h, -0.5), hist_quantile(h, 0));
	cr_assert_eq(hist_quantile(h, 7), hist_quantile(h, 1));
	free(h);
}

/* ---- hist_merge ---------------------------------------------------------- */

Test(hist, merge_equals_adding_all_samples_to_one)
{
	struct hist	*a = hist_new(), *b = hist_new(), *all = hist_new();
	int64_t		 v;
	int		 i;

	rng = 42;
	for (i = 0; i < 50000; i++) {
		v = lognormal(600000, 1.2);
		hist_add(i % 3 ? a : b, v);
		hist_add(all, v);
	}
	hist_merge(a, b);
	cr_assert_eq(a->total, 50000);
	cr_assert_eq(memcmp(a, all, sizeof(*a)), 0);
	cr_assert_eq(hist_quantile(a, 0.95), hist_quantile(all, 0.95));
	free(a);
	free(b);
	free(all);
}

Test(hist, merge_with_empty_changes_nothing)
{
	struct hist	*h = hist_new(), *empty = hist_new(), *copy = hist_new();

	hist_add(h, 123456);
	hist_add(h, 7);
	memcpy(copy, h, sizeof(*h));
	hist_merge(h, empty);
	cr_assert_eq(memcmp(h, copy, sizeof(*h)), 0);
	hist_merge(empty, h);
	cr_assert_eq(memcmp(empty, copy, sizeof(*h)), 0);
	free(h);
	free(empty);
	free(copy);
}

/* ---- hist_encode and hist_decode_add ------------------------------------- */

static void
fill_random(struct hist *h, uint64_t seed, int n)
{
	int	 i;

	rng = seed;
	for (i = 0; i < n; i++)
		hist_add(h, lognormal(400000, 2.0));
}

Test(hist, encode_decode_round_trip)
{
	struct hist	*h = hist_new(), *back = hist_new();
	unsigned char	 buf[HIST_MAX_BLOB];
	size_t		 len;

	fill_random(h, 7, 100000);
	len = hist_encode(h, buf, sizeof(buf));
	cr_assert_gt(len, 0);
	cr_assert_eq(hist_decode_add(back, buf, len), 0);
	cr_assert_eq(memcmp(back, h, sizeof(*h)), 0);
	free(h);
	free(back);
}

Test(hist, decode_adds_to_what_is_there)
{
	struct hist	*a = hist_new(), *b = hist_new(), *sum = hist_new();
	unsigned char	 buf[HIST_MAX_BLOB];
	size_t		 len;

	fill_random(a, 8, 1000);
	fill_random(b, 9, 1000);
	memcpy(sum, a, sizeof(*a));
	hist_merge(sum, b);
	len = hist_encode(b, buf, sizeof(buf));
	cr_assert_eq(hist_decode_add(a, buf, len), 0);
	cr_assert_eq(memcmp(a, sum, sizeof(*a)), 0);
	free(a);
	free(b);
	free(sum);
}

/* The stored format: varint gap from the previous bucket (from -1), count. */
Test(hist, encoding_is_gap_and_count_varints)
{
	struct hist	*h = hist_new();
	unsigned char	 buf[16];
	static const unsigned char want[] = { 0x01, 0x02, 0x12, 0xac, 0x02 };

	hist_add(h, 0);
	hist_add(h, 1);				/* bucket 0: gap 1, count 2 */
	h->n[18] = 300;				/* gap 18, count 300 */
	h->total += 300;
	cr_assert_eq(hist_encode(h, buf, sizeof(buf)), sizeof(want));
	cr_assert_eq(memcmp(buf, want, sizeof(want)), 0);
	free(h);
}

/* An empty histogram encodes to nothing, and nothing decodes to empty. */
Test(hist, empty_histogram_encodes_to_zero_bytes)
{
	struct hist	*h = hist_new(), *back = hist_new();
	unsigned char	 buf[8];

	cr_assert_eq(hist_encode(h, buf, sizeof(buf)), 0);
	cr_assert_eq(hist_decode_add(back, buf, 0), 0);
	cr_assert_eq(back->total, 0);
	free(h);
	free(back);
}

/* Every bucket with the largest count: the worst case fits HIST_MAX_BLOB. */
Test(hist, worst_case_fits_max_blob)
{
	struct hist	*h = hist_new(), *back = hist_new();
	unsigned char	*buf = malloc(HIST_MAX_BLOB);
	size_t		 len;
	int		 i;

	cr_assert_not_null(buf);
	for (i = 0; i < HIST_BUCKETS; i++)
		h->n[i] = UINT64_MAX;
	len = hist_encode(h, buf, HIST_MAX_BLOB);
	cr_assert_gt(len, 0);
	cr_assert_leq(len, HIST_MAX_BLOB);
	cr_assert_eq(hist_decode_add(back, buf, len), 0);
	cr_assert_eq(memcmp(back->n, h->n, sizeof(h->n)), 0);
	free(buf);
	free(h);
	free(back);
}

Test(hist, encode_into_too_small_buffer_returns_0)
{
	struct hist	*h = hist_new();
	unsigned char	 buf[HIST_MAX_BLOB + 16];
	size_t		 len, size, i;

	fill_random(h, 10, 5000);
	len = hist_encode(h, buf, HIST_MAX_BLOB);
	cr_assert_gt(len, 2);
	for (size = 0; size < len; size++) {
		memset(buf, 0xa5, sizeof(buf));
		cr_assert_eq(hist_encode(h, buf, size), 0, "size %zu of %zu",
		    size, len);
		for (i = size; i < sizeof(buf); i++)
			cr_assert_eq(buf[i], 0xa5, "wrote byte %zu of a "
			    "%zu-byte buffer", i, size);
	}
	cr_assert_eq(hist_encode(h, buf, len), len);
	free(h);
}

/*
 * Cut the blob at every length: a cut between two (gap, count) pairs is a
 * valid shorter blob; any other cut is rejected and adds nothing.
 */
Test(hist, decode_of_truncated_blob_fails_and_changes_nothing)
{
	struct hist	*h = hist_new(), *prefix = hist_new();
	struct hist	*target = hist_new(), *before = hist_new();
	unsigned char	 buf[HIST_MAX_BLOB], tmp[HIST_MAX_BLOB];
	char		 boundary[HIST_MAX_BLOB + 1];
	size_t		 len, k;
	int		 i, rc, rejected = 0;

	/* Counts >= 128 so every count is a multi-byte varint. */
	for (i = 0; i < HIST_BUCKETS; i += 37)
		h->n[i] = 128 + (uint64_t)i * 1000, h->total += h->n[i];
	len = hist_encode(h, buf, sizeof(buf));
	memset(boundary, 0, sizeof(boundary));
	for (i = 0; i < HIST_BUCKETS; i++) {
		if (h->n[i] == 0)
			continue;
		prefix->n[i] = h->n[i];
		boundary[hist_encode(prefix, tmp, sizeof(tmp))] = 1;
	}
	cr_assert(boundary[len]);
	hist_add(target, 5000);
	memcpy(before, target, sizeof(*target));
	for (k = 1; k < len; k++) {
		rc = hist_decode_add(target, buf, k);
		if (boundary[k]) {
			cr_assert_eq(rc, 0, "cut at %zu of %zu is a valid blob",
			    k, len);
			memcpy(target, before, sizeof(*target));
			continue;
		}
		cr_assert_eq(rc, -1, "cut at %zu of %zu", k, len);
		cr_assert_eq(memcmp(target, before, sizeof(*target)), 0,
		    "cut at %zu of %zu changed h", k, len);
		rejected++;
	}
	cr_assert_gt(rejected, 20);
	free(h);
	free(prefix);
	free(target);
	free(before);
}

static void
decode_fails(const unsigned char *blob, size_t len, const char *what)
{
	struct hist	*h = hist_new(), *before = hist_new();

	hist_add(h, 1234);
	hist_add(h, 99999);
	memcpy(before, h, sizeof(*h));
	cr_assert_eq(hist_decode_add(h, blob, len), -1, "%s", what);
	cr_assert_eq(memcmp(h, before, sizeof(*h)), 0, "%s changed h", what);
	free(h);
	free(before);
}

Test(hist, decode_rejects_garbage)
{
	static const unsigned char zero_gap[] = { 0x00, 0x01 };
	static const unsigned char later_zero_gap[] = { 0x05, 0x01, 0x00, 0x01 };
	static const unsigned char past_last[] = { 0x81, 0x05, 0x01 };
	static const unsigned char walks_past_last[] = { 0x80, 0x05, 0x07,
	    0x01, 0x01 };
	static const unsigned char gap_only[] = { 0x01 };
	static const unsigned char open_varint[] = { 0x01, 0x80 };
	static const unsigned char overlong[] = { 0xff, 0xff, 0xff, 0xff, 0xff,
	    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x01 };
	static const unsigned char huge_gap[] = { 0xff, 0xff, 0xff, 0xff, 0xff,
	    0xff, 0xff, 0xff, 0xff, 0x01, 0x01 };
	static const unsigned char text[] = "not a histogram";

	decode_fails(zero_gap, sizeof(zero_gap), "gap 0");
	decode_fails(later_zero_gap, sizeof(later_zero_gap), "later gap 0");
	decode_fails(past_last, sizeof(past_last), "bucket 640");
	decode_fails(walks_past_last, sizeof(walks_past_last),
	    "bucket 639, then one more");
	decode_fails(gap_only, sizeof(gap_only), "gap without count");
	decode_fails(open_varint, sizeof(open_varint), "unfinished varint");
	decode_fails(overlong, sizeof(overlong), "varint over 64 bits");
	decode_fails(huge_gap, sizeof(huge_gap), "gap of 2^63 - 1");
	decode_fails(text, sizeof(text) - 1, "text");
}

Test(hist, decode_accepts_the_last_bucket)
{
	static const unsigned char last[] = { 0x80, 0x05, 0x07 };  /* gap 640 */
	struct hist	*h = hist_new();

	cr_assert_eq(hist_decode_add(h, last, sizeof(last)), 0);
	cr_assert_eq(h->n[HIST_BUCKETS - 1], 7);
	cr_assert_eq(h->total, 7);
	free(h);
}

/* Random bytes: either a valid blob or -1 with h unchanged; never a crash. */
Test(hist, decode_of_random_bytes_is_safe)
{
	struct hist	*h = hist_new(), *before = hist_new();
	unsigned char	 blob[64];
	size_t		 len, i;
	int		 round, rejected = 0;

	rng = 1234567;
	for (round = 0; round < 20000; round++) {
		len = next() % sizeof(blob);
		for (i = 0; i < len; i++)
			blob[i] = (unsigned char)next();
		memcpy(before, h, sizeof(*h));
		if (hist_decode_add(h, blob, len) == -1) {
			rejected++;
			cr_assert_eq(memcmp(h, before, sizeof(*h)), 0);
		}
	}
	cr_assert_gt(rejected, 1000);
	free(h);
	free(before);
}
