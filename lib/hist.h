/* hist.h — mergeable log-scale latency histograms with bounded error. */
#ifndef APIMON_HIST_H
#define APIMON_HIST_H

/*
 * Error policy: only decoding can fail: hist_decode_add() returns -1 for
 * a blob that is not a histogram and leaves h unchanged; encoding into
 * HIST_MAX_BLOB bytes always fits.
 */

#include <stddef.h>
#include <stdint.h>

/*
 * Bucket i > 0 holds values v (microseconds) with
 * GAMMA^(i-1) < v <= GAMMA^i; bucket 0 holds v <= 1 us.  A quantile is
 * answered with the bucket's midpoint 2 GAMMA^i / (GAMMA + 1), whose
 * relative error is at most (GAMMA - 1) / (GAMMA + 1) = HIST_REL_ERROR
 * for any value above 1 us, plus the 0.5 us of rounding to whole us.  With GAMMA = 1.02 / 0.98 that is 2 %, and
 * 86,400 s (the largest latency accepted) falls in bucket 630.
 */
#define HIST_REL_ERROR	0.02
#define HIST_BUCKETS	640

struct hist {
	uint64_t	 n[HIST_BUCKETS];
	uint64_t	 total;
};

/*
 * The dashboard's latency buckets, counted exactly beside the histogram:
 * 0-1 s, 1-2 s, 2-3 s, 3-5 s and over 5 s (each includes its upper end).
 */
#define HIST_LAT_BUCKETS	5
int	 hist_lat_bucket(int64_t us);

/* Bucket index of a value in microseconds. */
int	 hist_index(int64_t us);

/* The value a quantile answers for bucket i: its midpoint, in us. */
int64_t	 hist_value(int i);

/* Add one value. */
void	 hist_add(struct hist *h, int64_t us);

/* Add every count of src into dst. */
void	 hist_merge(struct hist *dst, const struct hist *src);

/*
 * The q-quantile (0 <= q <= 1) in microseconds, within HIST_REL_ERROR
 * (+ 0.5 us) of the exact nearest-rank value; 0 when the histogram is empty.
 */
int64_t	 hist_quantile(const struct hist *h, double q);

/*
 * Encode h compactly (pairs of varints: index gap, count) into buf of
 * size bytes.  Returns the length, or 0 when it does not fit; a buffer of
 * HIST_MAX_BLOB bytes always suffices.
 */
#define HIST_MAX_BLOB	(HIST_BUCKETS * 12)
size_t	 hist_encode(const struct hist *h, unsigned char *buf, size_t size);

/*
 * Add the histogram encoded in the len bytes at buf into h.  Returns 0, or
 * -1 when buf is not a valid encoding (h is then unchanged).
 */
int	 hist_decode_add(struct hist *h, const unsigned char *buf, size_t len);

#endif
