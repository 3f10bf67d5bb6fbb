// send.mjs — spans through OpenTelemetry's own JS SDK and OTLP exporters.
//
//   node send.mjs --url http://127.0.0.1:PORT/v1/traces --encoding json|proto
//                 [--gzip] [--token T] < plan.json
//
// plan.json: {"service": "chat-api", "resource": {...attributes},
//   "batches": [[span, ...], ...]} where a span is {"name", "attributes",
//   "start" (ms since 1970), "duration_ms", "status": {"code", "message"},
//   "children": [span, ...]}.  Each batch is one export (the batch span
// processor, flushed).  Prints one JSON line: {"spans": [{"name",
// "trace_id", "span_id"}...], "exports": [{"code", "error"}...]}, where
// code 0 is success and 1 failure, as the SDK reports it to its processor.
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { context, trace } from '@opentelemetry/api';

function args(argv) {
  const a = { encoding: 'json', gzip: false };
  for (let i = 2; i < argv.length; i++) {
    const k = argv[i];
    if (k === '--gzip') a.gzip = true;
    else if (k.startsWith('--')) a[k.slice(2)] = argv[++i];
  }
  if (!a.url) throw new Error('--url is required');
  return a;
}

const opt = args(process.argv);
const plan = JSON.parse(await new Promise((ok) => {
  let s = '';
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (d) => { s += d; });
  process.stdin.on('end', () => ok(s));
}));

const Exporter = opt.encoding === 'proto' ? ProtoExporter : JsonExporter;
const exporter = new Exporter({
  url: opt.url,
  compression: opt.gzip ? 'gzip' : 'none',
  headers: opt.token ? { Authorization: `Bearer ${opt.token}` } : {},
  timeoutMillis: 20000,
});
// What the exporter reports back for each export, as the SDK sees it.
const exports = [];
const realExport = exporter.export.bind(exporter);
exporter.export = (spans, done) => realExport(spans, (r) => {
  exports.push({ code: r.code, spans: spans.length, error: r.error ? String(r.error.message || r.error) : null });
  done(r);
});

const provider = new NodeTracerProvider({
  resource: resourceFromAttributes({ 'service.name': plan.service, ...(plan.resource || {}) }),
  spanProcessors: [new BatchSpanProcessor(exporter, {
    maxQueueSize: 100000, maxExportBatchSize: 100000, scheduledDelayMillis: 60000,
  })],
});
const tracer = provider.getTracer('apimon-tests', '1.0.0');
const made = [];

function start(s, parent) {
  const ctx = parent ? trace.setSpan(context.active(), parent) : context.active();
  const t0 = s.start ?? Date.now();
  const span = tracer.startSpan(s.name, { attributes: s.attributes || {}, startTime: t0 }, ctx);
  if (s.status) span.setStatus(s.status);
  for (const c of s.children || []) start(c, span);
  span.end(t0 + (s.duration_ms ?? 100));
  const sc = span.spanContext();
  made.push({ name: s.name, trace_id: sc.traceId, span_id: sc.spanId });
}

// A failed export rejects the flush; what failed is in exports[] already.
for (const batch of plan.batches) {
  for (const s of batch) start(s, null);
  await provider.forceFlush().catch(() => {});
}
await provider.shutdown().catch(() => {});
process.stdout.write(JSON.stringify({ spans: made, exports }) + '\n');
