import { setTimeout as sleep } from 'node:timers/promises';
import { createClientAuthPlan, type ClientAuthentication } from './client-auth.ts';
import { IdentityUnavailableError } from './errors.ts';
import { parseIntrospectionBody } from './introspection-response.ts';
import type { RequestPlan, ResolvedConfig } from './internal-types.ts';
import type { IntrospectionResult, RetryOptions } from './types.ts';

/** The answer of one upstream exchange, with how many times it was re-sent. */
export interface UpstreamAnswer {
  result: IntrospectionResult;
  status: number;
  resendCount: number;
}

/** Builds what every request shares (URL, headers, client authentication) once per client. */
export function createRequestPlan(config: ResolvedConfig): RequestPlan {
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    accept: 'application/json',
  };
  const { url } = config;
  const defaultPort = url.protocol === 'https:' ? 443 : 80;
  return {
    url: url.href,
    urlFull: `${url.origin}${url.pathname}`,
    serverAddress: url.hostname,
    serverPort: url.port === '' ? defaultPort : Number(url.port),
    headers,
    auth: createClientAuthPlan(config),
  };
}

/**
 * POSTs the token with bounded, jittered retries on network errors and 5xx. Every attempt has its
 * own timeout combined with `signal` (cancelled when every waiter left). `headers` already carry
 * the trace context. A 401 to a rotating client credential is retried once, at once, with a fresh one.
 */
export async function exchangeWithRetries(
  config: ResolvedConfig,
  plan: RequestPlan,
  request: { token: string; tokenTypeHint: string | undefined; headers: Record<string, string>; signal: AbortSignal },
  retry: RetryOptions,
  onRetry: (error: IdentityUnavailableError, attempt: number) => void,
): Promise<UpstreamAnswer> {
  let resendCount = 0;
  let refreshedCredential = false;
  for (let attempt = 0; ;) {
    const auth = await plan.auth.current();
    try {
      const { result, status } = await exchangeOnce(config, plan, request, auth);
      return { result, status, resendCount };
    } catch (error) {
      if (!(error instanceof IdentityUnavailableError)) throw error;
      if (error.status === 401 && !refreshedCredential && plan.auth.refused(auth)) {
        refreshedCredential = true;
        onRetry(error, ++resendCount);
        continue;
      }
      if (!isRetryable(error) || attempt >= retry.attempts) throw error;
      onRetry(error, ++resendCount);
      const delay = retry.backoffMs * 2 ** attempt++ * (0.5 + Math.random());
      await sleep(delay, undefined, { signal: request.signal });
    }
  }
}

function isRetryable(error: IdentityUnavailableError): boolean {
  return error.reason === 'network' || (error.reason === 'http_status' && (error.status ?? 0) >= 500);
}

async function exchangeOnce(
  config: ResolvedConfig,
  plan: RequestPlan,
  request: { token: string; tokenTypeHint: string | undefined; headers: Record<string, string>; signal: AbortSignal },
  auth: ClientAuthentication,
): Promise<{ result: IntrospectionResult; status: number }> {
  const body = new URLSearchParams({ token: request.token });
  if (request.tokenTypeHint !== undefined) body.set('token_type_hint', request.tokenTypeHint);
  for (const [name, value] of auth.form) body.set(name, value);
  const headers =
    auth.authorization === undefined ? request.headers : { ...request.headers, authorization: auth.authorization };
  const timeout = AbortSignal.timeout(config.timeoutMs);
  const signal = AbortSignal.any([timeout, request.signal]);
  const failure = (error: unknown): never => {
    if (request.signal.aborted) throw request.signal.reason;
    if (timeout.aborted)
      throw new IdentityUnavailableError(
        `identity service did not answer within ${config.timeoutMs} ms`,
        { reason: 'timeout' },
        { cause: error },
      );
    throw new IdentityUnavailableError('identity service unreachable', { reason: 'network' }, { cause: error });
  };
  let response: Response;
  try {
    response = await config.fetch(plan.url, {
      method: 'POST',
      headers,
      body,
      signal,
      redirect: 'manual',
    });
  } catch (error) {
    return failure(error);
  }
  const contentType = response.headers.get('content-type');
  if (response.status !== 200) {
    await response.body?.cancel().catch(() => undefined);
    throw new IdentityUnavailableError(`identity service answered ${response.status}`, {
      reason: 'http_status',
      status: response.status,
      response: { status: response.status, contentType },
    });
  }
  let text: string | undefined;
  try {
    text = await readBounded(response, MAX_ANSWER_BYTES);
  } catch (error) {
    return failure(error);
  }
  if (text === undefined)
    throw new IdentityUnavailableError(
      `identity service sent a malformed introspection answer: larger than ${MAX_ANSWER_BYTES} bytes`,
      { reason: 'malformed_response', status: 200, response: { status: 200, contentType } },
    );
  return { result: parseIntrospectionBody(text, contentType), status: response.status };
}

/** Largest introspection answer read (real ones are well under 10 KiB); a larger one is malformed. */
const MAX_ANSWER_BYTES = 1024 * 1024;

/** The body as UTF-8 text, or undefined (and the body cancelled) once it exceeds `limit` bytes. */
async function readBounded(response: Response, limit: number): Promise<string | undefined> {
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (declared > limit || response.body === null) {
    await response.body?.cancel().catch(() => undefined);
    return declared > limit ? undefined : '';
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body) {
    size += chunk.byteLength;
    if (size > limit) return undefined; // leaving the loop cancels the stream
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
