import type { ServerResponse } from 'node:http';
import {
  type Context,
  context,
  createContextKey,
  isSpanContextValid,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  type SpanOptions,
  trace,
} from '@opentelemetry/api';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { startAttributesObserved } from '@service-runtime/observability';
import { resolveTrustIncoming, resolveUntracedPaths } from './config.ts';
import { httpkitTracer } from './instruments.ts';
import type { RequestObservers, RpcMetadata } from './internal-types.ts';
import { recordedMethod, resolveKnownMethods, spanMethod } from './http-method.ts';
import { onResponseEnd } from './request-end.ts';
import { pathOf } from './request-path.ts';
import { attachState, RequestState, stateOf } from './request-state.ts';
import { schemeOf, startAttributes } from './server-attributes.ts';
import type { TracingOptions } from './types.ts';

// `@opentelemetry/core` keeps instrumentation-http's per-request metadata under this registered key.
const RPC_METADATA_KEY = createContextKey('OpenTelemetry SDK Context Key RPC_METADATA');

/**
 * The server-span middleware alone, for an existing Express app: mount it first. Each request gets
 * one SERVER span (parent from `traceparent`) started with the attributes a sampler may use, named
 * `{method} {route}` when it ends (`HTTP` for a method outside the known list), and the rest of the
 * chain runs in its context. With instrumentation-http active, its span is enriched instead.
 */
export function tracing(options: TracingOptions = {}): RequestHandler {
  return tracingMiddleware(resolveObservers(options, false, false));
}

/** Resolves the per-app settings once (env over options over defaults). */
export function resolveObservers(options: TracingOptions, accessLog: boolean, metrics: boolean): RequestObservers {
  return {
    untraced: resolveUntracedPaths(options.untracedPaths),
    trustIncoming: resolveTrustIncoming(options.trustIncomingTraceContext),
    accessLog: options.accessLog ?? accessLog,
    metrics: options.metrics ?? metrics,
    logger: options.logger,
    knownMethods: resolveKnownMethods(),
  };
}

/**
 * The middleware for already-resolved settings (shared by `tracing()` and `createApp`). `inner`
 * runs the rest of a combined chain inside the span's context before `next`; createApp uses it so
 * its default chain costs one router layer instead of four.
 */
export function tracingMiddleware(observers: RequestObservers, inner: RequestHandler = callNext): RequestHandler {
  const untraced = observers.untraced;
  return function httpkitTracing(req: Request, res: Response, next: NextFunction): void {
    // Untraced path, or already traced by an outer httpkit middleware (a mounted sub-app).
    if ((untraced.size !== 0 && untraced.has(pathOf(req.url))) || stateOf(res) !== undefined) {
      inner(req, res, next);
      return;
    }
    startRequest(req, res, next, observers, inner);
  };
}

function callNext(_req: Request, _res: Response, next: NextFunction): void {
  next();
}

function startRequest(
  req: Request,
  res: Response,
  next: NextFunction,
  observers: RequestObservers,
  inner: RequestHandler,
): void {
  const active = context.active();
  if (active !== ROOT_CONTEXT && enrichExisting(active, req, res, observers)) {
    inner(req, res, next);
    return;
  }
  let parent = propagation.extract(ROOT_CONTEXT, req.headers);
  const method = recordedMethod(req.method, observers.knownMethods);
  const scheme = schemeOf(req);
  // Sampling attributes at the start, as the HTTP conventions ask, whenever a sampler or span
  // processor can read them there; otherwise only on a span that records, right after its start.
  const observed = startAttributesObserved();
  const options: SpanOptions = observed
    ? { kind: SpanKind.SERVER, attributes: startAttributes(req, method, scheme) }
    : { kind: SpanKind.SERVER };
  if (!observers.trustIncoming) {
    // At the edge: a new trace, linked to whatever the caller sent, never continued.
    const incoming = trace.getSpanContext(parent);
    if (incoming !== undefined && isSpanContextValid(incoming)) options.links = [{ context: incoming }];
    parent = ROOT_CONTEXT;
  }
  const span = httpkitTracer().startSpan(spanMethod(method), options, parent);
  if (!observed && span.isRecording()) span.setAttributes(startAttributes(req, method, scheme));
  const ctx = trace.setSpan(parent, span);
  attachState(res, new RequestState(req, span, true, ctx, undefined, observers, method, scheme));
  // 'close' follows 'finish' on every response and also fires when the client goes away.
  res.on('close', onResponseEnd);
  context.with(ctx, inner, undefined, req, res, next);
}

// Another instrumentation (instrumentation-http) already made this request's server span: enrich it.
function enrichExisting(active: Context, req: Request, res: ServerResponse, observers: RequestObservers): boolean {
  const rpc = active.getValue(RPC_METADATA_KEY) as RpcMetadata | undefined;
  let span: Span | undefined;
  if (rpc !== undefined && rpc.type === 'http' && rpc.span !== undefined) span = rpc.span;
  else {
    const candidate = trace.getSpan(active);
    if (candidate !== undefined && (candidate as { kind?: unknown }).kind === SpanKind.SERVER) span = candidate;
  }
  if (span === undefined) return false;
  const method = recordedMethod(req.method, observers.knownMethods);
  attachState(res, new RequestState(req, span, false, undefined, rpc, observers, method, schemeOf(req)));
  // instrumentation-http ends its span on 'close', so name it on 'finish', which comes first.
  res.on('finish', onResponseEnd);
  res.on('close', onResponseEnd);
  return true;
}
