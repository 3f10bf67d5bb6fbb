// genai.mjs — an LLM service's spans, as OpenTelemetry's GenAI semantic
// conventions describe them, sent to apimon by OpenTelemetry's own JS SDK
// and OTLP exporter.  Nothing here knows apimon: the standard OTEL_*
// variables point the exporter at it.
//
//   make run                                  # in another terminal
//   cd docs/examples/otel-node && npm ci
//   OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=http://localhost:8001/v1/traces node genai.mjs
//
// ingest.token set: OTEL_EXPORTER_OTLP_HEADERS='Authorization=Bearer%20TOKEN'.
// JSON instead of protobuf: OTEL_EXPORTER_OTLP_TRACES_PROTOCOL=http/json.
// gzip: OTEL_EXPORTER_OTLP_COMPRESSION=gzip.  OTEL_SERVICE_NAME names the
// service (apimon's source; default otel-demo).  --rounds N (default 3).
import { diag, DiagConsoleLogger, DiagLogLevel, SpanStatusCode, context, trace }
  from '@opentelemetry/api';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

if (!process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT && !process.env.OTEL_EXPORTER_OTLP_ENDPOINT) {
  console.error('genai.mjs: set OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, e.g. http://localhost:8001/v1/traces');
  process.exit(2);
}
const i = process.argv.indexOf('--rounds');
const rounds = i > 0 ? Number(process.argv[i + 1]) : 3;

// The exporter says so when apimon skipped or rejected spans (partial success).
diag.setLogger(new DiagConsoleLogger(), DiagLogLevel.WARN);
const json = process.env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL === 'http/json';
const exporter = json ? new JsonExporter() : new ProtoExporter();
let failed = 0;
const realExport = exporter.export.bind(exporter);
exporter.export = (spans, done) => realExport(spans, (r) => {
  if (r.code !== 0) {
    failed++;
    console.error(`genai.mjs: export of ${spans.length} spans failed: ${r.error?.message ?? r.error}`);
  } else {
    console.log(`genai.mjs: exported ${spans.length} spans`);
  }
  done(r);
});

const provider = new NodeTracerProvider({
  resource: resourceFromAttributes({ 'service.name': process.env.OTEL_SERVICE_NAME || 'otel-demo' }),
  spanProcessors: [new BatchSpanProcessor(exporter)],
});
const tracer = provider.getTracer('apimon-example', '1.0.0');

// A span from start to start + ms, under parent; its attributes and status.
function span(name, parent, start, ms, attributes, status) {
  const ctx = parent ? trace.setSpan(context.active(), parent) : context.active();
  const s = tracer.startSpan(name, { attributes, startTime: start }, ctx);
  if (status) s.setStatus(status);
  return { s, end: () => s.end(start + ms) };
}

const users = ['alice', 'bob', 'carol'];
for (let r = 0; r < rounds; r++) {
  const t = Date.now() - (rounds - r) * 5000;
  const user = users[r % users.length];
  // An HTTP span: no GenAI attribute, so apimon counts it and skips it.
  const http = span('POST /ask', null, t, 1900, { 'http.request.method': 'POST', 'http.route': '/ask' });
  const chat = span('chat gpt-4o-mini', http.s, t + 20, 1400 + 100 * r, {
    'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai',
    'gen_ai.request.model': 'gpt-4o-mini', 'gen_ai.response.model': 'gpt-4o-mini',
    'gen_ai.usage.input_tokens': 900 + 10 * r, 'gen_ai.usage.output_tokens': 300,
    'gen_ai.response.time_to_first_token': 0.35, 'user.id': user,
  });
  chat.end();
  http.end();
  // An agent that calls a tool and another model (the older gen_ai.system).
  const agent = span('invoke_agent Planner', null, t + 2000, 2600, {
    'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'Planner', 'user.id': user,
  });
  span('execute_tool get_weather', agent.s, t + 2100, 180, {
    'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'get_weather', 'user.id': user,
  }).end();
  span('chat claude-3-5-haiku', agent.s, t + 2300, 2100, {
    'gen_ai.operation.name': 'chat', 'gen_ai.system': 'anthropic',
    'gen_ai.request.model': 'claude-3-5-haiku', 'gen_ai.usage.prompt_tokens': 2400,
    'gen_ai.usage.completion_tokens': 510, 'user.id': user,
  }).end();
  agent.end();
  // A call the provider refused: status ERROR and error.type.
  span('chat gpt-4o', null, t + 4700, 250, {
    'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai',
    'gen_ai.request.model': 'gpt-4o', 'error.type': 'RateLimitError', 'user.id': user,
  }, { code: SpanStatusCode.ERROR, message: 'rate limit reached' }).end();
}

// A failed export fails the flush too; it was reported above.
await provider.shutdown().catch(() => {});
if (failed > 0) process.exitCode = 1;
