import type { GeneratedFile, TemplateContext } from './template-context.ts';

/** `.env.example` documenting every variable the service reads, and the service README. */
export function docFiles({ name }: TemplateContext): GeneratedFile[] {
  return [
    {
      path: '.env.example',
      content: `# ${name}: every variable it reads. Copy to .env for \`npm run dev\`; blank means "use the default".

# --- service ---
PORT=8080                                   # HTTP port
SHUTDOWN_GRACE_MS=                          # bound of the whole shutdown after SIGTERM, default 25000

# --- observability (standard OpenTelemetry names) ---
OTEL_SERVICE_NAME=${name}
OTEL_RESOURCE_ATTRIBUTES=deployment.environment.name=dev   # key=value,...
OTEL_TRACES_EXPORTER=                       # console (default) | otlp (default when an endpoint is set) | none
OTEL_EXPORTER_OTLP_ENDPOINT=                # e.g. http://otel-collector:4318 (switches spans to OTLP)
OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=         # full traces URL, overrides the one above
OTEL_EXPORTER_OTLP_PROTOCOL=                # http/protobuf (default) | http/json | grpc
OTEL_EXPORTER_OTLP_HEADERS=                 # key=value,... e.g. authorization=Bearer%20<token>
OTEL_EXPORTER_OTLP_TIMEOUT=                 # ms, default 10000
OTEL_TRACES_SAMPLER=                        # parentbased_always_on (default) | parentbased_traceidratio | ...
OTEL_TRACES_SAMPLER_ARG=                    # ratio 0..1 for the ratio samplers
OTEL_PROPAGATORS=                           # tracecontext,baggage (default) | b3 | b3multi
OTEL_BSP_SCHEDULE_DELAY=                    # ms between span batches, default 5000
OTEL_BSP_MAX_QUEUE_SIZE=                    # bounded span queue, default 2048
OTEL_BSP_MAX_EXPORT_BATCH_SIZE=             # default 512
OTEL_BSP_EXPORT_TIMEOUT=                    # ms, default 30000
OTEL_ATTRIBUTE_COUNT_LIMIT=                 # attributes per span, event and link, default 128
OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT=          # characters kept of an attribute value, default no limit
OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT=            # span attributes only, default OTEL_ATTRIBUTE_COUNT_LIMIT
OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT=     # default OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT
OTEL_SPAN_EVENT_COUNT_LIMIT=                # events per span, default 128
OTEL_SPAN_LINK_COUNT_LIMIT=                 # links per span, default 128
OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT=           # attributes per event, default OTEL_ATTRIBUTE_COUNT_LIMIT
OTEL_LINK_ATTRIBUTE_COUNT_LIMIT=            # attributes per link, default OTEL_ATTRIBUTE_COUNT_LIMIT
OTEL_LOGS_EXPORTER=                         # console (default) | otlp | none, or a list: console,otlp
OTEL_EXPORTER_OTLP_LOGS_ENDPOINT=           # full logs URL, default the endpoint above + /v1/logs
OTEL_BLRP_SCHEDULE_DELAY=                   # ms a log record may wait for its batch, default 1000
OTEL_BLRP_MAX_QUEUE_SIZE=                   # bounded log record queue, default 2048
OTEL_BLRP_MAX_EXPORT_BATCH_SIZE=            # default 512
OTEL_BLRP_EXPORT_TIMEOUT=                   # ms, default 30000
OTEL_METRICS_EXPORTER=                      # prometheus (default, served at /metrics) | otlp | none
OTEL_METRIC_EXPORT_INTERVAL=                # ms between OTLP metric exports, default 60000
OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE=   # cumulative (default) | delta | lowmemory
OTEL_SDK_DISABLED=                          # true turns tracing and metrics off
OTEL_LOG_LEVEL=                             # SDK diagnostics level, default warn
LOG_LEVEL=                                  # service log level, default info

# --- httpkit ---
HTTPKIT_TRUSTED_HOSTS=                      # hosts that may receive traceparent on outbound calls: name, name:port, *.suffix
HTTPKIT_TRUST_INCOMING_TRACE_CONTEXT=       # default true; false on services that face the outside (new trace + link)
HTTPKIT_UNTRACED_PATHS=                     # default /healthz,/readyz,/metrics
HTTPKIT_BODY_LIMIT=                         # JSON body limit, default 100kb
HTTPKIT_SHUTDOWN_TIMEOUT_MS=                # graceful close bound, default 10000
OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS=    # methods recorded as themselves (replaces the default list); others are _OTHER

# --- identityclient (RFC 7662 introspection) ---
IDENTITY_INTROSPECTION_URL=http://identity:3000/token/introspection
IDENTITY_CLIENT_ID=${name}
IDENTITY_CLIENT_SECRET=                     # never commit it; inject it from your secret store
IDENTITY_CLIENT_AUTH=                       # client_secret_basic (default) | client_secret_post | bearer
IDENTITY_BEARER_TOKEN=                      # with IDENTITY_CLIENT_AUTH=bearer
IDENTITY_TIMEOUT_MS=                        # default 2000
IDENTITY_CACHE_ENABLED=                     # default true
IDENTITY_CACHE_MAX_ENTRIES=                 # active answers kept, default 10000
IDENTITY_CACHE_MAX_NEGATIVE_ENTRIES=        # inactive answers, a bound apart (made-up tokens never evict valid ones), default 2000
IDENTITY_CACHE_MAX_TTL_MS=                  # default 60000
IDENTITY_CACHE_NEGATIVE_TTL_MS=             # default 5000
IDENTITY_NEW_TOKEN_LIMIT_ENABLED=           # default true: bound upstream calls for tokens not in the cache (past it: 503)
IDENTITY_NEW_TOKEN_RATE=                    # such calls per second, default 100
IDENTITY_NEW_TOKEN_BURST=                   # at once after a quiet spell, default 200
IDENTITY_NEW_TOKEN_MAX_CONCURRENT=          # in flight at once, default 32
IDENTITY_RETRY_ATTEMPTS=                    # retries after the first try, default 2
IDENTITY_RETRY_BACKOFF_MS=                  # default 50 (jittered)
IDENTITY_BREAKER_ENABLED=                   # default true
IDENTITY_BREAKER_FAILURE_THRESHOLD=         # default 5
IDENTITY_BREAKER_RESET_MS=                  # default 10000
IDENTITY_STALE_IF_ERROR_MS=                 # opt-in: keep recently valid tokens through a short outage
IDENTITY_MAX_TOKEN_LENGTH=                  # default 4096
IDENTITY_PROPAGATE_TRACE_CONTEXT=           # default true
IDENTITY_PROPAGATE_BAGGAGE=                 # default false: baggage stays out of introspection calls
IDENTITY_RECORD_SUBJECT=                    # default false: sub/username stay out of spans

# --- natsbus ---
NATS_URL=nats://localhost:4222              # comma-separated list for a cluster
NATSBUS_SOURCE=                             # CloudEvents source, default urn:service:${name}
NATSBUS_CONTENT_MODE=                       # structured (default) | binary
NATSBUS_EXTERNAL_SUBJECTS=                  # subjects outside the trust boundary: no trace context (e.g. partner.>)
NATSBUS_DRAIN_TIMEOUT_MS=                   # how long running handlers may take at close, default 10000
`,
    },
    {
      path: 'README.md',
      content: `# ${name}

A service on [service-runtime](https://example.invalid/service-runtime): one trace follows every request
through HTTP, token introspection and NATS.

## Run

\`\`\`sh
cp .env.example .env        # then fill in NATS_URL and the IDENTITY_* values
npm install
npm run dev                 # Node 24 runs src/main.ts directly
npm test                    # type-free unit tests of the routes and the event handler
npm run typecheck
\`\`\`

Spans print as JSON lines on stdout until you set \`OTEL_EXPORTER_OTLP_ENDPOINT\`; then they go to your
Collector, Jaeger or Tempo. Metrics are at \`/metrics\`, liveness at \`/healthz\`, readiness at \`/readyz\`.

## See your traces while you develop

Start the local trace viewer (a development tool: traces and logs stay in memory) and point the
service at it; every request's trace, with each span's log lines, appears live on
http://127.0.0.1:8318:

\`\`\`sh
npx @service-runtime/trace-viewer     # or \`npm run traces\` in a service-runtime checkout
OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 OTEL_LOGS_EXPORTER=console,otlp npm run dev
\`\`\`

## What it does

- \`GET /hello/:who\`: a public route.
- \`POST /items\` (bearer token with scope \`${name}:write\`): publishes \`${name}.item.created\` as a
  CloudEvent; the trace context travels in the event.
- A subscriber in queue group \`${name}\` handles \`${name}.item.created\`; failures go to
  \`deadletter.${name}\`.

## Deploy

\`docker build -t ${name} .\` — the image starts with \`--import @service-runtime/observability/register\` and
stops gracefully on SIGTERM (readiness 503, in-flight requests finish, the bus drains, spans are flushed).
`,
    },
  ];
}
