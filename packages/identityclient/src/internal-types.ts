import type { Attributes, SpanContext } from '@opentelemetry/api';
import type { BoundCounterHandle, Logger } from '@service-runtime/observability';
import type { CircuitBreaker } from './circuit-breaker.ts';
import type { ClientAuthPlan } from './client-auth.ts';
import type { IntrospectionCache } from './introspection-cache.ts';
import type { NewTokenLimit } from './new-token-limit.ts';
import type {
  BreakerOptions,
  CacheOptions,
  ClientAuthMethod,
  Credential,
  IntrospectionResult,
  NewTokenLimitOptions,
  RetryOptions,
} from './types.ts';

/** Every setting resolved once from env, options and defaults. */
export interface ResolvedConfig {
  url: URL;
  clientId: string | undefined;
  clientSecret: Credential | undefined;
  clientAuth: ClientAuthMethod;
  bearerToken: Credential | undefined;
  timeoutMs: number;
  cache: CacheOptions | false;
  newTokenLimit: NewTokenLimitOptions | false;
  retry: RetryOptions;
  breaker: BreakerOptions | false;
  staleIfErrorMs: number;
  recordSubject: boolean;
  propagateTraceContext: boolean;
  propagateBaggage: boolean;
  maxTokenLength: number;
  fetch: typeof fetch;
  logger: Logger;
}

/** One cached answer with its lifetimes (epoch milliseconds). */
export interface CacheEntry {
  result: IntrospectionResult;
  expiresAt: number;
  /** Positive answers only: until when the entry may be served while the identity service is down. */
  staleUntil: number;
}

/** Everything one HTTP request needs besides the token, computed once per client. */
export interface RequestPlan {
  url: string;
  /** `url.full` for spans: no credentials, no query, no fragment. */
  urlFull: string;
  serverAddress: string;
  serverPort: number;
  /** Headers of every request, without client authentication. */
  headers: Readonly<Record<string, string>>;
  /** Client authentication per request: credentials may rotate. */
  auth: ClientAuthPlan;
}

/** An upstream call in progress that concurrent introspections of the same token join. */
export interface Flight {
  readonly promise: Promise<IntrospectionResult>;
  /** The CLIENT span making the call; joiners link to it. */
  readonly spanContext: SpanContext;
  /** Callers still waiting; when the last one aborts, the call is cancelled. */
  waiters: number;
  readonly controller: AbortController;
}

/** How refusals by the new-token limit are counted and (at most once a minute) logged. */
export interface Throttling {
  readonly attributes: Readonly<Record<'rate' | 'concurrency', Attributes>>;
  readonly logger: Logger;
  /** Refusals since the last warning, and when the next one may be written (epoch ms). */
  refusedSinceLog: number;
  nextLogAt: number;
}

/** The per-client state the introspection paths share. */
export interface ClientState {
  readonly config: ResolvedConfig;
  readonly plan: RequestPlan;
  readonly cache: IntrospectionCache | undefined;
  readonly breaker: CircuitBreaker | undefined;
  readonly newTokenLimit: NewTokenLimit | undefined;
  readonly flights: Map<string, Flight>;
  /** `server.address` and `server.port`, shared by spans and metrics. */
  readonly serverAttributes: Attributes;
  /** `identity.cache.lookups` per outcome, bound once so the hot path neither allocates nor hashes. */
  readonly lookups: Readonly<Record<'hit' | 'miss' | 'coalesced' | 'stale' | 'throttled', BoundCounterHandle>>;
  readonly throttling: Throttling;
}
