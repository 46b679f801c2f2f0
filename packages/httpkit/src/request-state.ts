import type { ServerResponse } from 'node:http';
import type { Context, Span } from '@opentelemetry/api';
import type { Request } from 'express';
import type { RequestObservers, RpcMetadata } from './internal-types.ts';

const STATE = Symbol('httpkit.request');

type WithState = { [STATE]?: RequestState };

/**
 * Everything httpkit tracks for one request, in one object hung on the response: the span, when it
 * started, the error a handler threw. One allocation per request; the end-of-request listener is a
 * shared function that finds it through `this`, so no closure is made per request.
 */
export class RequestState {
  readonly req: Request;
  readonly span: Span;
  /** False when another instrumentation owns the span and httpkit only enriches it. */
  readonly ownSpan: boolean;
  /** Context the request runs in (the span set on the extracted parent). */
  readonly context: Context | undefined;
  readonly rpc: RpcMetadata | undefined;
  readonly observers: RequestObservers;
  readonly startTime: number;
  /** `http.request.method` as recorded: the method when known, else `_OTHER`. */
  readonly method: string;
  /** `url.scheme`: `https` on a TLS socket, else `http`. */
  readonly scheme: string;
  /** The error the error handler recorded on the span (a 5xx), if any. */
  error: unknown = undefined;
  /** Set by the 404 handler: no route handled the request, so the span is named by method alone. */
  unmatched = false;
  requestId: string | undefined = undefined;
  /** Route of an endpoint that is not an Express route (`/healthz`...), set by that endpoint. */
  route: string | undefined = undefined;
  done = false;

  constructor(
    req: Request,
    span: Span,
    ownSpan: boolean,
    ctx: Context | undefined,
    rpc: RpcMetadata | undefined,
    observers: RequestObservers,
    method: string,
    scheme: string,
  ) {
    this.req = req;
    this.span = span;
    this.ownSpan = ownSpan;
    this.context = ctx;
    this.rpc = rpc;
    this.observers = observers;
    this.startTime = performance.now();
    this.method = method;
    this.scheme = scheme;
  }
}

/** Hangs `state` on `res`. */
export function attachState(res: ServerResponse, state: RequestState): void {
  (res as WithState)[STATE] = state;
}

/** The state of the request `res` answers, when httpkit's tracing middleware saw it. */
export function stateOf(res: ServerResponse): RequestState | undefined {
  return (res as WithState)[STATE];
}
