import { trace, type Attributes } from '@opentelemetry/api';
import type { Logger } from '@service-runtime/observability';
import { IdentityUnavailableError, InvalidTokenError } from './errors.ts';
import type { ClientState, Throttling } from './internal-types.ts';
import type { LimitRefusal } from './new-token-limit.ts';
import {
  ATTR_ERROR_TYPE,
  ATTR_IDENTITY_CACHE,
  ATTR_IDENTITY_THROTTLE_LIMIT,
  ATTR_IDENTITY_TOKEN_REJECTION,
} from './semconv.ts';
import { getInstruments } from './telemetry.ts';
import type { TokenRejection } from './token-screen.ts';

/** At most one warning per this interval while the new-token limit refuses calls. */
const THROTTLE_LOG_INTERVAL_MS = 60_000;

const REJECTION_ATTRIBUTES: Readonly<Record<TokenRejection, Attributes>> = {
  empty: { [ATTR_IDENTITY_TOKEN_REJECTION]: 'empty' },
  too_long: { [ATTR_IDENTITY_TOKEN_REJECTION]: 'too_long' },
  malformed: { [ATTR_IDENTITY_TOKEN_REJECTION]: 'malformed' },
};

/** Counts a token refused before any lookup; the token itself is never recorded or logged. */
export function countRejectedToken(rejection: TokenRejection): void {
  getInstruments().rejected.add(1, REJECTION_ATTRIBUTES[rejection]);
}

/** Counts the rejection and gives the error for it (401 `invalid_token` in requireAuth). */
export function rejectedToken(rejection: TokenRejection, maxTokenLength: number): InvalidTokenError {
  countRejectedToken(rejection);
  if (rejection === 'too_long')
    return new InvalidTokenError(`token is longer than ${maxTokenLength} characters`, 'too_long');
  return new InvalidTokenError(rejection === 'empty' ? 'token is empty' : 'token is not a b64token', 'malformed');
}

/** The per-client throttling record. */
export function createThrottling(logger: Logger, serverAttributes: Attributes): Throttling {
  return {
    attributes: {
      rate: { ...serverAttributes, [ATTR_IDENTITY_THROTTLE_LIMIT]: 'rate' },
      concurrency: { ...serverAttributes, [ATTR_IDENTITY_THROTTLE_LIMIT]: 'concurrency' },
    },
    logger,
    refusedSinceLog: 0,
    nextLogAt: 0,
  };
}

/**
 * Refuses a new token the limit has no room for: counted, marked on the caller's span (no span of its
 * own, so a flood costs no export), warned about at most once a minute, and failed as `throttled`.
 */
export function throttled(state: ClientState, refusal: LimitRefusal): never {
  const throttling = state.throttling;
  const instruments = getInstruments();
  instruments.throttled.add(1, throttling.attributes[refusal.limit]);
  state.lookups.throttled.add(1);
  const active = trace.getActiveSpan();
  if (active?.isRecording()) {
    active.setAttribute(ATTR_IDENTITY_CACHE, 'throttled');
    active.setAttribute(ATTR_ERROR_TYPE, 'throttled');
  }
  throttling.refusedSinceLog += 1;
  const now = Date.now();
  if (now >= throttling.nextLogAt) {
    throttling.logger.warn(
      { refused: throttling.refusedSinceLog, limit: refusal.limit },
      'new-token limit reached: introspections of unknown tokens refused (throttled)',
    );
    throttling.refusedSinceLog = 0;
    throttling.nextLogAt = now + THROTTLE_LOG_INTERVAL_MS;
  }
  throw new IdentityUnavailableError('too many new tokens to introspect; retry later', {
    reason: 'throttled',
    retryAfterSeconds: Math.max(1, Math.ceil(refusal.retryAfterMs / 1000)),
  });
}
