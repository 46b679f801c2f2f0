/**
 * The token-flood rows of `npm run bench:identity`: 100 valid tokens kept warm while 20,000 made-up ones
 * arrive in waves from 50 concurrent senders, against the real oidc-provider. Reports what the flood costs the identity service and
 * the valid requests, and the cache-hit cost of the valid tokens afterwards.
 */
import { randomBytes } from 'node:crypto';
import type { IdentityClient, IdentityClientOptions } from '@service-runtime/identityclient';
import { cpuMicrosPerOp } from './cpu-time.ts';

const VALID = 100;
const WAVES = 20;
const WAVE_SIZE = 1000;
const HIT_ROUNDS = 200;
const ATTACKERS = 50;

/** One row of the bench table. */
export type BenchRow = { measure: string; value: string; target: string };

/** Runs the flood with `create` (the client factory under test) and returns its rows. */
export async function tokenFloodRows(
  create: (options: IdentityClientOptions) => IdentityClient,
  options: IdentityClientOptions,
  mintToken: () => Promise<string>,
): Promise<BenchRow[]> {
  const valid: string[] = [];
  for (let i = 0; i < VALID; i++) valid.push(await mintToken());
  const validSet = new Set(valid);
  const upstream = { valid: 0, bogus: 0 };
  const countingFetch: typeof fetch = (input, init) => {
    upstream[validSet.has(new URLSearchParams(String(init?.body)).get('token') ?? '') ? 'valid' : 'bogus'] += 1;
    return fetch(input, init);
  };
  // a cache small enough that one wave would fill it, as 10,000 made-up tokens fill the default one
  const identity = create({ ...options, cache: { maxEntries: WAVE_SIZE }, fetch: countingFetch });
  for (const token of valid) await identity.introspect(token);
  upstream.valid = 0;

  const outcomes = { throttled: 0, failed: 0, validFailed: 0 };
  const count = (token: string) => (error: { reason?: string }) => {
    if (validSet.has(token)) outcomes.validFailed += 1;
    else if (error.reason === 'throttled') outcomes.throttled += 1;
    else outcomes.failed += 1;
  };
  const started = performance.now();
  for (let wave = 0; wave < WAVES; wave++) {
    // the attacker: ATTACKERS connections sending made-up tokens back to back
    const bogus = Array.from({ length: WAVE_SIZE }, () => randomBytes(24).toString('base64url'));
    let next = 0;
    const attacker = async () => {
      for (let token = bogus[next++]; token !== undefined; token = bogus[next++])
        await identity.introspect(token).then(() => undefined, count(token));
    };
    await Promise.all(Array.from({ length: ATTACKERS }, attacker));
    // the users: every valid token once per wave
    await Promise.all(valid.map((token) => identity.introspect(token).then(() => undefined, count(token))));
  }
  const seconds = (performance.now() - started) / 1000;
  const validDuringFlood = upstream.valid;

  let failedAfter = 0;
  const hitCost = await cpuMicrosPerOp(HIT_ROUNDS * VALID, async () => {
    for (let round = 0; round < HIT_ROUNDS; round++)
      for (const token of valid) await identity.introspect(token).catch(() => (failedAfter += 1));
  });

  return [
    {
      measure: `flood: ${WAVES * WAVE_SIZE} made-up tokens (${ATTACKERS} at a time) in waves of ${WAVE_SIZE}, ${VALID} valid after each`,
      value: `${upstream.bogus} upstream calls for them, ${outcomes.throttled} throttled, ${outcomes.failed} other errors, ${seconds.toFixed(1)} s`,
      target: 'within the new-token limit (100/s after a 200 burst)',
    },
    {
      measure: 'valid-token requests during the flood: sent upstream / failed',
      value: `${validDuringFlood} / ${outcomes.validFailed} of ${WAVES * VALID}`,
      target: '0 / 0',
    },
    {
      measure: 'cache-hit introspect of the valid tokens after the flood',
      value: `${hitCost.toFixed(2)} µs CPU/op (${upstream.valid - validDuringFlood} upstream calls, ${failedAfter} failed)`,
      target: 'as the cache-hit row, 0 calls, 0 failed',
    },
  ];
}
