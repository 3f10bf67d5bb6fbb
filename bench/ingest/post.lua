-- bench/ingest/post.lua — wrk script for the ingest benchmark.
--
-- Every request POSTs one realistic api_requests record (the shape the old
-- monitor's integration snippets send, plus model/provider/token fields) with a
-- request_id that is unique per run, thread and request:
--     wrk-<tag>-<thread>-<counter>
-- so apimon never answers "duplicate" and every 2xx is one new row.
-- Usage: wrk ... -s post.lua URL -- TAG [BATCH]
-- With BATCH > 1 each request is a JSON array of BATCH such records, with ids
--     wrk-<tag>-<thread>-<counter>-<i>
-- done() prints one machine-readable "BENCHLINE key=value ..." line that
-- bench/ingest/run.sh parses (latencies in microseconds).

local nthreads = 0

function setup(thread)
	nthreads = nthreads + 1
	thread:set("tid", nthreads)
end

local tag = "run"
local batch = 1
local counter = 0
local last_sec = -1
local stamp = ""

local sources   = { "web", "telegram", "discord", "wechat" }
local models    = { "gpt-4o-mini", "gpt-4o", "claude-3-5-sonnet", "gemini-1.5-flash" }
local providers = { "openai", "openai", "anthropic", "google" }
local commands  = {
	"/ask summarise the last 20 messages in this channel",
	"/translate zh-TW: the deployment finished without errors",
	"/image a lighthouse at dusk, watercolour",
	"/code explain this stack trace and suggest a fix",
}
local headers = { ["Content-Type"] = "application/json" }

function init(args)
	tag = args[1] or tag
	batch = tonumber(args[2] or "1") or 1
	tid = tid or 0
end

-- Record n (its field values vary with n) with request_id id.
local function record(n, id)
	local counter = n
	local now = os.time()
	if now ~= last_sec then
		last_sec = now
		stamp = os.date("!%Y-%m-%dT%H:%M:%SZ", now)
	end
	local i = counter % 4 + 1
	local m = (counter * 7) % 4 + 1
	local r = counter % 100
	local status, err = "success", ""
	if r >= 97 then status, err = "rate_limited", ',"error":"429 Too Many Requests"'
	elseif r >= 94 then status, err = "timeout", ',"error":"upstream timed out after 30s"'
	elseif r >= 89 then status, err = "error", ',"error":"500 internal server error"'
	end
	local inp = 200 + (counter * 37) % 1800
	local out = 50 + (counter * 13) % 600
	return string.format(
		'{"request_id":"%s","source":"%s","user_id":"user-%d",' ..
		'"command":"%s","status":"%s","execution_time":%.3f,' ..
		'"time_to_first_token":%.3f,"model":"%s","provider":"%s",' ..
		'"input_tokens":%d,"output_tokens":%d,"tokens_used":%d,"cost":%.6f,' ..
		'"timestamp":"%s","metadata":{"chat_id":%d,"client":"wrk"}%s}',
		id, sources[i], counter % 500,
		commands[m], status, 0.2 + (counter % 97) / 10,
		0.05 + (counter % 13) / 100, models[m], providers[m],
		inp, out, inp + out, (inp * 0.15 + out * 0.6) / 1e6,
		stamp, 100000 + counter % 1000, err)
end

function request()
	counter = counter + 1
	local id = "wrk-" .. tag .. "-" .. tid .. "-" .. counter
	if batch <= 1 then
		return wrk.format("POST", nil, headers, record(counter, id))
	end
	local items = {}
	for k = 1, batch do
		items[k] = record(counter * batch + k, id .. "-" .. k)
	end
	return wrk.format("POST", nil, headers, "[" .. table.concat(items, ",") .. "]")
end

function done(summary, latency, requests)
	local e = summary.errors
	io.write(string.format(
		"BENCHLINE requests=%d duration_us=%d non2xx=%d connect=%d read=%d " ..
		"write=%d timeout=%d p50_us=%d p99_us=%d mean_us=%d max_us=%d\n",
		summary.requests, summary.duration, e.status, e.connect, e.read,
		e.write, e.timeout, latency:percentile(50), latency:percentile(99),
		math.floor(latency.mean), latency.max))
end
