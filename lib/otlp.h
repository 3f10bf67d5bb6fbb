/* otlp.h — OpenTelemetry traces (OTLP/HTTP, protobuf or JSON) into records. */
#ifndef APIMON_OTLP_H
#define APIMON_OTLP_H

/*
 * Error policy.  A request that is not an ExportTraceServiceRequest under
 * the rules of docs/api.md (undecodable protobuf, JSON of the wrong shape
 * or types, invalid UTF-8 or a NUL in a string) is refused whole:
 * OTLP_BAD, with a message that says where.  A request that decodes is
 * taken span by span: a span without GenAI attributes is skipped, one
 * whose record is not valid (rec.h) is rejected and named in the answer's
 * message, the others become records.  Nothing is stored here.
 */

#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "rec.h"

enum otlp_enc { OTLP_PROTOBUF, OTLP_JSON };

enum otlp_rc {
	OTLP_OK,
	OTLP_BAD,	/* undecodable: 400 */
	OTLP_TOO_BIG,	/* more spans than ingest.max_batch, or a body that
			   unpacks to too much memory: 413 */
	OTLP_NOMEM
};

#define OTLP_MAX_DEPTH		32	/* arrays and kvlists in a value */
#define OTLP_MSG_MAX		1024	/* the answer's message */
#define OTLP_UNPACK_FACTOR	16	/* protobuf unpacks to at most this
					   times its size (plus 64 KiB) */

/* What became of the spans of one request. */
struct otlp_batch {
	struct rec	*recs;		/* GenAI spans as records, in order */
	size_t		 nrecs;
	size_t		 nspans;	/* every span of the request */
	size_t		 skipped;	/* spans without GenAI attributes */
	size_t		 rejected;	/* GenAI spans that are not valid */
	char		 msg[OTLP_MSG_MAX];	/* the first rejects, or "" */
};

/*
 * Decode the len bytes at buf as an ExportTraceServiceRequest in enc and
 * map its spans to records validated against c, received at now_ms.
 * Returns OTLP_OK with b filled, which the caller frees with
 * otlp_batch_free(); or another code with err set and nothing allocated.
 */
enum otlp_rc	 otlp_decode(const char *buf, size_t len, enum otlp_enc enc,
		    const struct conf *c, int64_t now_ms, struct otlp_batch *b,
		    char *err, size_t errlen);

/* Free what otlp_decode() allocated; b may be zeroed. */
void		 otlp_batch_free(struct otlp_batch *b);

/*
 * The answer to an export in enc: an ExportTraceServiceResponse, with
 * partial_success set when rejected > 0 or msg is not empty.  Returns a
 * buffer of *len bytes that the caller frees with cJSON_free(), or NULL
 * when out of memory.
 */
char		*otlp_answer(enum otlp_enc enc, long rejected, const char *msg,
		    size_t *len);

/*
 * The body of a 4xx or 5xx answer in enc: a google.rpc.Status whose
 * message is msg (code is the gRPC code that matches).  As otlp_answer().
 */
char		*otlp_status(enum otlp_enc enc, int code, const char *msg,
		    size_t *len);

/* ---- between the decoders and the mapping (otlp.c) --------------------- */

/* One attribute value, in either encoding; strings are not NUL-terminated. */
enum otlp_type {
	OTLP_V_NONE,		/* an AnyValue with nothing set */
	OTLP_V_STRING,
	OTLP_V_BOOL,
	OTLP_V_INT,
	OTLP_V_DOUBLE,
	OTLP_V_OTHER		/* bytes, array, kvlist */
};

struct otlp_val {
	enum otlp_type	 type;
	const char	*s;		/* OTLP_V_STRING: valid UTF-8, no NUL */
	size_t		 len;
	int64_t		 i;
	double		 d;
};

/* The attributes apimon reads (otlp.c names them). */
enum otlp_attr {
	A_RESPONSE_MODEL, A_REQUEST_MODEL, A_LLM_MODEL_NAME,
	A_PROVIDER_NAME, A_SYSTEM, A_LLM_PROVIDER,
	A_INPUT_TOKENS, A_PROMPT_TOKENS, A_LLM_PROMPT,
	A_OUTPUT_TOKENS, A_COMPLETION_TOKENS, A_LLM_COMPLETION,
	A_ERROR_TYPE, A_USER_ID, A_ENDUSER_ID,
	A_OPERATION, A_OI_SPAN_KIND, A_TOOL_NAME, A_AGENT_NAME, A_OI_TOOL_NAME,
	A_TTFT, A_SERVER_TTFT,
	A__MAX
};

/* One span, as a decoder hands it to the mapping. */
struct otlp_span {
	const unsigned char	*trace_id, *span_id;
	size_t			 trace_id_len, span_id_len;
	const char		*name;		/* valid UTF-8, no NUL */
	size_t			 name_len;
	uint64_t		 start_ns, end_ns;
	int			 status_code;	/* 2: error */
	const char		*status_msg;
	size_t			 status_msg_len;
	struct otlp_val		 attr[A__MAX];	/* type NONE: absent */
	int			 genai;		/* a gen_ai.* or llm.* key */
	int			 twice;		/* an attr[] key given twice */
	enum otlp_attr		 twice_attr;
};

/* The resource the spans of one ResourceSpans share. */
struct otlp_resource {
	struct otlp_val		 service;	/* service.name */
};

/* Start a span or a resource: nothing set. */
void		 otlp_span_init(struct otlp_span *s);
void		 otlp_resource_init(struct otlp_resource *r);

/*
 * An attribute of the span or resource at obj: kept when apimon reads it.
 * Both are an otlp_attr_fn, which the decoders call for each attribute
 * of a list, obj being a struct otlp_span or a struct otlp_resource.
 */
typedef void	 otlp_attr_fn(void *obj, const char *key, size_t keylen,
		    const struct otlp_val *v);
otlp_attr_fn	 otlp_span_attr, otlp_resource_attr;

/*
 * Room for n spans in b (the decoder counts them first).  Returns 0, or
 * -1 when out of memory.
 */
int		 otlp_batch_alloc(struct otlp_batch *b, size_t n);

/*
 * Map span s of resource r into b: a record, a skip or a reject.  Returns
 * 0, or -1 when out of memory.
 */
int		 otlp_take(struct otlp_batch *b, const struct otlp_resource *r,
		    const struct otlp_span *s, const struct conf *c,
		    int64_t now_ms);

/* The two decoders behind otlp_decode(): as it, after the span count. */
enum otlp_rc	 otlp_pb_decode(const char *buf, size_t len,
		    const struct conf *c, int64_t now_ms, struct otlp_batch *b,
		    char *err, size_t errlen);
enum otlp_rc	 otlp_json_decode(const char *buf, size_t len,
		    const struct conf *c, int64_t now_ms, struct otlp_batch *b,
		    char *err, size_t errlen);

/* The answers behind otlp_answer() and otlp_status() for each encoding. */
char		*otlp_pb_answer(long rejected, const char *msg, size_t *len);
char		*otlp_pb_status(int code, const char *msg, size_t *len);
char		*otlp_json_answer(long rejected, const char *msg, size_t *len);
char		*otlp_json_status(int code, const char *msg, size_t *len);

#endif
