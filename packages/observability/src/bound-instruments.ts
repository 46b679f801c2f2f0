import { diag, metrics, type Attributes, type Counter, type Histogram, type MetricAdvice } from '@opentelemetry/api';
import { InstrumentType } from '@opentelemetry/sdk-metrics';
import { boundRegistryOf } from './bound-instrument-registry.ts';
import {
  BUCKETS,
  COUNT,
  MAX,
  MIN,
  START,
  SUM,
  VALUE,
  type BoundDescriptor,
  type Series,
} from './bound-instrument-storage.ts';

/** The instrumentation scope of a bound instrument, as `getMeter(name, version, { schemaUrl })` takes it. */
export interface BoundInstrumentScope {
  name: string;
  version?: string;
  schemaUrl?: string;
}

/** Name-independent options of a bound instrument, as the API's `MetricOptions` give them. */
export interface BoundInstrumentOptions {
  description?: string;
  unit?: string;
  /** Explicit bucket boundaries of a histogram (the SDK's default ones when left out). */
  advice?: MetricAdvice;
}

/** A histogram whose attribute sets are bound once; see {@link createBoundHistogram}. */
export interface BoundHistogram {
  /** A handle recording with `attributes`; bind once per attribute set and keep the handle. */
  bind(attributes: Attributes): BoundHistogramHandle;
}

/** Records into one attribute set of a {@link BoundHistogram}. */
export interface BoundHistogramHandle {
  /** Records a non-negative value (negative ones are dropped with a warning, as the SDK does). */
  record(value: number): void;
}

/** A monotonic counter whose attribute sets are bound once; see {@link createBoundCounter}. */
export interface BoundCounter {
  /** A handle adding with `attributes`; bind once per attribute set and keep the handle. */
  bind(attributes: Attributes): BoundCounterHandle;
}

/** Adds to one attribute set of a {@link BoundCounter}. */
export interface BoundCounterHandle {
  /** Adds a non-negative increment (negative ones are dropped with a warning, as the SDK does). */
  add(value: number): void;
}

/** What both kinds share: the descriptor and the API instrument of a foreign provider. */
class BoundInstrument<I> {
  readonly descriptor: BoundDescriptor;
  readonly #create: (descriptor: BoundDescriptor, provider: ReturnType<typeof metrics.getMeterProvider>) => I;
  #apiProvider: unknown;
  #api: I | undefined;

  constructor(
    descriptor: BoundDescriptor,
    create: (descriptor: BoundDescriptor, provider: ReturnType<typeof metrics.getMeterProvider>) => I,
  ) {
    this.descriptor = descriptor;
    this.#create = create;
  }

  /** The API instrument of `provider`, made once per provider. */
  apiFor(provider: ReturnType<typeof metrics.getMeterProvider>): I {
    if (this.#api === undefined || this.#apiProvider !== provider) {
      this.#apiProvider = provider;
      this.#api = this.#create(this.descriptor, provider);
    }
    return this.#api;
  }
}

/**
 * Where a handle writes: a series of observability's provider, or the API instrument of any other
 * global provider (the user's own SDK, a disabled one). Checked per record by provider identity,
 * so re-initialisation or a replaced provider never leaves a handle writing into a dead one.
 */
abstract class Handle<I> {
  protected provider: unknown = undefined;
  protected series: Series | undefined;
  protected cell: Float64Array | undefined;
  protected api: I | undefined;
  protected readonly attributes: Attributes;
  protected readonly instrument: BoundInstrument<I>;

  constructor(instrument: BoundInstrument<I>, attributes: Attributes) {
    this.instrument = instrument;
    this.attributes = attributes;
  }

  protected resolve(): void {
    const provider = metrics.getMeterProvider();
    this.provider = provider;
    const registry = boundRegistryOf(provider);
    if (registry === undefined) {
      this.series = this.cell = undefined;
      this.api = this.instrument.apiFor(provider);
    } else {
      this.series = registry.storageFor(this.instrument.descriptor).series(this.attributes);
      this.cell = this.series.cell;
      this.api = undefined;
    }
  }

  /**
   * The interval to write `value` into; undefined when the value went to another provider's API
   * instrument or was refused (negative or not a number, with the SDK's warning).
   */
  protected target(value: number): Float64Array | undefined {
    if (metrics.getMeterProvider() !== this.provider) this.resolve();
    const cell = this.cell;
    if (cell === undefined) {
      this.forward(value);
      return undefined;
    }
    if (value < 0 || typeof value !== 'number') return this.refuse(value);
    if (cell[START] === 0) {
      // the interval's first record: note when, and queue the series for the next collection
      const series = this.series!;
      cell[START] = Date.now();
      if (!series.overflow) series.recorded = this.attributes;
      series.storage.touched.push(series);
    }
    return cell;
  }

  /** Records through the API instrument of a provider observability did not build. */
  protected abstract forward(value: number): void;

  /** Drops a value the SDK would drop, with the SDK's warning. */
  private refuse(value: number): undefined {
    const { name, type } = this.instrument.descriptor;
    const kind = type === InstrumentType.COUNTER ? 'counter' : 'histogram';
    diag.warn(
      value < 0
        ? `negative value provided to ${kind} ${name}: ${value}`
        : `non-number value provided to metric ${name}: ${String(value)}`,
    );
    return undefined;
  }
}

class HistogramHandle extends Handle<Histogram> implements BoundHistogramHandle {
  record(value: number): void {
    const cell = this.target(value);
    // NaN starts the interval but is not counted, as in the SDK's histogram accumulation
    if (cell === undefined || value !== value) return;
    cell[COUNT]!++;
    cell[SUM]! += value;
    cell[MIN] = Math.min(cell[MIN]!, value);
    cell[MAX] = Math.max(cell[MAX]!, value);
    // the first bucket whose upper bound is >= value, as the SDK's binary search finds it
    const boundaries = this.series!.storage.boundaries;
    let low = 0;
    let high = boundaries.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (boundaries[middle]! < value) low = middle + 1;
      else high = middle;
    }
    cell[BUCKETS + low]!++;
  }

  protected forward(value: number): void {
    this.api!.record(value, this.attributes);
  }
}

class CounterHandle extends Handle<Counter> implements BoundCounterHandle {
  add(value: number): void {
    const cell = this.target(value);
    if (cell !== undefined) cell[VALUE]! += value;
  }

  protected forward(value: number): void {
    this.api!.add(value, this.attributes);
  }
}

let created = 0;

function descriptorOf(
  type: BoundDescriptor['type'],
  scope: BoundInstrumentScope,
  name: string,
  options: BoundInstrumentOptions,
): BoundDescriptor {
  return Object.freeze({
    scope: Object.freeze({ name: scope.name, version: scope.version ?? '', schemaUrl: scope.schemaUrl }),
    name,
    type,
    description: options.description ?? '',
    unit: options.unit ?? '',
    advice: options.advice ?? {},
    order: created++,
  });
}

function meterOf(descriptor: BoundDescriptor, provider: ReturnType<typeof metrics.getMeterProvider>) {
  const { scope } = descriptor;
  return provider.getMeter(
    scope.name,
    scope.version,
    scope.schemaUrl === undefined ? {} : { schemaUrl: scope.schemaUrl },
  );
}

function apiOptions(descriptor: BoundDescriptor) {
  return { description: descriptor.description, unit: descriptor.unit, advice: descriptor.advice };
}

/**
 * A histogram recorded without per-record attribute hashing when observability's meter provider is
 * the global one: `bind` finds the attribute set once, `record` writes count, sum, min, max and a
 * bucket. Under any other provider it records through that provider's API histogram, as before.
 */
export function createBoundHistogram(
  scope: BoundInstrumentScope,
  name: string,
  options: BoundInstrumentOptions = {},
): BoundHistogram {
  const instrument = new BoundInstrument<Histogram>(
    descriptorOf(InstrumentType.HISTOGRAM, scope, name, options),
    (descriptor, provider) => meterOf(descriptor, provider).createHistogram(descriptor.name, apiOptions(descriptor)),
  );
  return { bind: (attributes) => new HistogramHandle(instrument, attributes) };
}

/** A monotonic counter bound per attribute set, like {@link createBoundHistogram}. */
export function createBoundCounter(
  scope: BoundInstrumentScope,
  name: string,
  options: BoundInstrumentOptions = {},
): BoundCounter {
  const instrument = new BoundInstrument<Counter>(
    descriptorOf(InstrumentType.COUNTER, scope, name, options),
    (descriptor, provider) => meterOf(descriptor, provider).createCounter(descriptor.name, apiOptions(descriptor)),
  );
  return { bind: (attributes) => new CounterHandle(instrument, attributes) };
}
