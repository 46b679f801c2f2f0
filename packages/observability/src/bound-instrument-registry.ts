import { diag } from '@opentelemetry/api';
import type { IMetricReader, MeterProvider, MetricProducer } from '@opentelemetry/sdk-metrics';
import { BoundMetricProducer } from './bound-metric-producer.ts';
import { InstrumentStorage, type BoundDescriptor } from './bound-instrument-storage.ts';
import { scopeKey } from './scope-merging-exporter.ts';

const registries = new WeakMap<object, BoundInstrumentRegistry>();

/**
 * The bound instruments' series of one meter provider that observability built, and one producer
 * per reader of that provider. Installed on the provider, so a handle finds it from the global one.
 */
export class BoundInstrumentRegistry {
  readonly #storages = new Map<string, InstrumentStorage>();
  readonly #byDescriptor = new WeakMap<BoundDescriptor, InstrumentStorage>();
  readonly #producers: BoundMetricProducer[] = [];

  /** The storage of an instrument; instruments with the same scope, name, kind, unit and buckets share one. */
  storageFor(descriptor: BoundDescriptor): InstrumentStorage {
    let storage = this.#byDescriptor.get(descriptor);
    if (storage !== undefined) return storage;
    const { scope } = descriptor;
    const id = scopeKey(scope);
    const sameName = `${id}\0${descriptor.name.toLowerCase()}`;
    const key = `${sameName}\0${descriptor.type}\0${descriptor.unit}\0${JSON.stringify(descriptor.advice)}`;
    storage = this.#storages.get(key);
    if (storage === undefined) {
      if ([...this.#storages.keys()].some((other) => other.startsWith(`${sameName}\0`))) {
        diag.warn(`A bound instrument "${descriptor.name}" was created twice with different kinds, units or buckets`);
      }
      storage = new InstrumentStorage(descriptor);
      this.#storages.set(key, storage);
    }
    this.#byDescriptor.set(descriptor, storage);
    return storage;
  }

  /** Every storage, in the order the instruments were created. */
  storages(): InstrumentStorage[] {
    return [...this.#storages.values()].sort((a, b) => a.descriptor.order - b.descriptor.order);
  }

  /**
   * Builds a reader with its own producer of the bound instruments (`make` passes `metricProducers`
   * to the reader's options); the producer reports the temporality the reader selects.
   */
  reader<R extends IMetricReader>(make: (metricProducers: MetricProducer[]) => R): R {
    const producer = new BoundMetricProducer(this);
    const reader = make([producer]);
    producer.readFor(reader);
    this.#producers.push(producer);
    return reader;
  }

  /** Makes `provider`'s bound instruments this registry's; returns the provider. */
  install<P extends MeterProvider>(provider: P): P {
    registries.set(provider, this);
    return provider;
  }

  /** Moves what was recorded since the last collection into every reader's producer. */
  drain(): void {
    for (const storage of this.#storages.values()) {
      const intervals = storage.drain();
      if (intervals.length === 0) continue;
      for (const producer of this.#producers) producer.absorb(storage, intervals);
    }
  }
}

/** The registry observability installed on `provider`, if it built that provider. */
export function boundRegistryOf(provider: unknown): BoundInstrumentRegistry | undefined {
  return typeof provider === 'object' && provider !== null ? registries.get(provider) : undefined;
}
