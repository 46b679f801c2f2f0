import type { Match, MsgHdrs } from '@nats-io/transport-node';

/**
 * NATS headers whose wire block is written directly, without building nats.js's header map:
 * a core publish only asks for `encode()`, and building the map costs more than the rest of the
 * header work. Anything else (a read, a change) builds the real headers first, and `encode()`
 * then follows them. `block` must be the exact encoding of what `build` makes.
 */
export class PrebuiltHeaders implements MsgHdrs {
  readonly #block: Uint8Array;
  readonly #build: () => MsgHdrs;
  #real: MsgHdrs | undefined;

  constructor(block: Uint8Array, build: () => MsgHdrs) {
    this.#block = block;
    this.#build = build;
  }

  /** The wire block (`NATS/1.0\r\n...\r\n\r\n`) while nothing built the real headers. */
  encode(): Uint8Array {
    const real = this.#real as (MsgHdrs & { encode(): Uint8Array }) | undefined;
    return real === undefined ? this.#block : real.encode();
  }

  #headers(): MsgHdrs {
    return (this.#real ??= this.#build());
  }

  get hasError(): boolean {
    return this.#headers().hasError;
  }
  get status(): string {
    return this.#headers().status;
  }
  get code(): number {
    return this.#headers().code;
  }
  get description(): string {
    return this.#headers().description;
  }
  get(k: string, match?: Match): string {
    return this.#headers().get(k, match);
  }
  set(k: string, v: string, match?: Match): void {
    this.#headers().set(k, v, match);
  }
  append(k: string, v: string, match?: Match): void {
    this.#headers().append(k, v, match);
  }
  has(k: string, match?: Match): boolean {
    return this.#headers().has(k, match);
  }
  keys(): string[] {
    return this.#headers().keys();
  }
  values(k: string, match?: Match): string[] {
    return this.#headers().values(k, match);
  }
  delete(k: string, match?: Match): void {
    this.#headers().delete(k, match);
  }
  last(k: string, match?: Match): string {
    return this.#headers().last(k, match);
  }
  [Symbol.iterator](): Iterator<[string, string[]]> {
    return this.#headers()[Symbol.iterator]();
  }
}
