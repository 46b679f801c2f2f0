import type { ServerResponse } from 'node:http';
import { type Span, SpanStatusCode } from '@opentelemetry/api';
import { writeAccessLog } from './access-log.ts';
import { spanMethod } from './http-method.ts';
import { recordDuration } from './request-metrics.ts';
import { type RequestState, stateOf } from './request-state.ts';
import { routeTemplate } from './route-template.ts';
import {
  ATTR_CLIENT_ADDRESS,
  ATTR_ERROR_TYPE,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_NETWORK_PROTOCOL_VERSION,
  ATTR_USER_AGENT_ORIGINAL,
  ERROR_TYPE_ABORTED,
} from './semconv.ts';

/**
 * The one end-of-request listener, shared by every request (`this` is the response). Runs once:
 * names the span from the matched route, sets the response attributes and status, ends the span,
 * then records the duration metric and writes the access-log line. Attribute work is skipped when
 * the span is not recording (sampled out).
 */
export function onResponseEnd(this: ServerResponse): void {
  const state = stateOf(this);
  if (state === undefined || state.done) return;
  state.done = true;
  const req = state.req;
  const aborted = !this.writableFinished;
  const status = this.statusCode;
  const method = state.method;
  const route = state.route ?? (state.unmatched ? undefined : routeTemplate(req));
  const span = state.span;
  if (span.isRecording()) describeSpan(span, state, method, route, status, aborted);
  if (state.ownSpan) span.end();
  else if (state.rpc !== undefined && route !== undefined) state.rpc.route = route;
  const observers = state.observers;
  if (observers.metrics || observers.accessLog) {
    const seconds = (performance.now() - state.startTime) / 1000;
    if (observers.metrics) recordDuration(method, state.scheme, route, status, aborted, seconds);
    if (observers.accessLog) writeAccessLog(state, req.method, route, status, aborted, seconds);
  }
}

function describeSpan(
  span: Span,
  state: RequestState,
  method: string,
  route: string | undefined,
  status: number,
  aborted: boolean,
): void {
  const prefix = spanMethod(method);
  span.updateName(route === undefined ? prefix : `${prefix} ${route}`);
  if (route !== undefined) span.setAttribute(ATTR_HTTP_ROUTE, route);
  if (state.ownSpan) describeRequest(span, state);
  if (aborted) {
    if (state.error === undefined) {
      span.setStatus({
        code: SpanStatusCode.ERROR,
        message: 'client closed the connection before the response',
      });
      span.setAttribute(ATTR_ERROR_TYPE, ERROR_TYPE_ABORTED);
    }
    return;
  }
  span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status);
  if (status >= 500 && state.error === undefined) {
    span.setStatus({ code: SpanStatusCode.ERROR });
    span.setAttribute(ATTR_ERROR_TYPE, String(status));
  }
}

// Attributes no sampler needs, read at the end so a sampled-out request never pays for them.
function describeRequest(span: Span, state: RequestState): void {
  const req = state.req;
  span.setAttribute(ATTR_NETWORK_PROTOCOL_VERSION, req.httpVersion);
  const remote = req.socket.remoteAddress;
  if (remote !== undefined) span.setAttribute(ATTR_CLIENT_ADDRESS, remote);
  const agent = req.headers['user-agent'];
  if (agent !== undefined) span.setAttribute(ATTR_USER_AGENT_ORIGINAL, agent);
}
