import type { Attributes, HrTime } from '@opentelemetry/api';
import { millisToHrTime } from '@opentelemetry/core';
import { emptyResource } from '@opentelemetry/resources';
import {
  AggregationTemporality,
  DataPointType,
  type CollectionResult,
  type IMetricReader,
  type MetricData,
  type MetricProducer,
  type ScopeMetrics,
} from '@opentelemetry/sdk-metrics';
import type { BoundInstrumentRegistry } from './bound-instrument-registry.ts';
import {
  BUCKETS,
  COUNT,
  MAX,
  MIN,
  START,
  SUM,
  VALUE,
  type InstrumentStorage,
  type Interval,
  type Series,
} from './bound-instrument-storage.ts';
import { scopeKey } from './scope-merging-exporter.ts';

/** A series' aggregate not yet reported, or reported so far, and the attributes it is reported under. */
interface Pending {
  readonly cell: Float64Array;
  readonly attributes: Attributes;
}

/** One reader's view of one instrument: what it has not reported yet and what it reported. */
interface StreamState {
  temporality: AggregationTemporality;
  /** Intervals drained since this reader's last collection, merged per series. */
  unreported: Map<Series, Pending>;
  /** Cumulative: everything so far per series, in first-report order. */
  readonly cumulative: Map<Series, Pending>;
  /** Delta: the series of the last report, whose next point starts at the last collection. */
  reportedLast: Set<Series>;
  lastCollection: HrTime | undefined;
}

/**
 * An SDK `MetricProducer` for one reader: reports the bound instruments as the SDK would report an
 * API instrument with the default aggregation, in the temporality the reader selects (each reader
 * has its own producer, so delta works per reader).
 */
export class BoundMetricProducer implements MetricProducer {
  readonly #registry: BoundInstrumentRegistry;
  readonly #streams = new Map<InstrumentStorage, StreamState>();
  #reader: IMetricReader | undefined;

  constructor(registry: BoundInstrumentRegistry) {
    this.#registry = registry;
  }

  /** Binds the producer to its reader, whose temporality it reports (its aggregation must be the default). */
  readFor(reader: IMetricReader): void {
    this.#reader = reader;
  }

  /** Takes drained intervals of `storage` (every producer of the registry gets each interval once). */
  absorb(storage: InstrumentStorage, intervals: readonly Interval[]): void {
    const { unreported } = this.#stream(storage);
    for (const { series, cell, attributes } of intervals) {
      const pending = unreported.get(series);
      if (pending === undefined) unreported.set(series, { cell: cell.slice(), attributes });
      else storage.merge(pending.cell, cell);
    }
  }

  async collect(): Promise<CollectionResult> {
    const collectionTime = millisToHrTime(Date.now());
    this.#registry.drain();
    const byScope = new Map<string, ScopeMetrics>();
    for (const storage of this.#registry.storages()) {
      const metric = this.#report(storage, collectionTime);
      if (metric === undefined) continue;
      const { scope } = storage.descriptor;
      const id = scopeKey(scope);
      let scopeMetrics = byScope.get(id);
      if (scopeMetrics === undefined) byScope.set(id, (scopeMetrics = { scope, metrics: [] }));
      scopeMetrics.metrics.push(metric);
    }
    return { resourceMetrics: { resource: emptyResource(), scopeMetrics: [...byScope.values()] }, errors: [] };
  }

  #stream(storage: InstrumentStorage): StreamState {
    let stream = this.#streams.get(storage);
    if (stream === undefined) {
      const temporality =
        this.#reader?.selectAggregationTemporality(storage.descriptor.type) ?? AggregationTemporality.CUMULATIVE;
      stream = {
        temporality,
        unreported: new Map(),
        cumulative: new Map(),
        reportedLast: new Set(),
        lastCollection: undefined,
      };
      this.#streams.set(storage, stream);
    }
    return stream;
  }

  // The SDK's TemporalMetricProcessor, per series: cumulative merges into what was reported and keeps
  // the first start; delta reports the merged intervals, starting at the last collection when the
  // series was in the last report.
  #report(storage: InstrumentStorage, collectionTime: HrTime): MetricData | undefined {
    const stream = this.#stream(storage);
    const { unreported } = stream;
    stream.unreported = new Map();
    const points: [Pending, HrTime][] = [];
    if (stream.temporality === AggregationTemporality.CUMULATIVE) {
      for (const [series, interval] of unreported) {
        const total = stream.cumulative.get(series);
        if (total === undefined) stream.cumulative.set(series, interval);
        else storage.merge(total.cell, interval.cell);
      }
      for (const total of stream.cumulative.values()) points.push([total, millisToHrTime(total.cell[START]!)]);
    } else {
      for (const [series, interval] of unreported) {
        const calibrated = stream.reportedLast.has(series) ? stream.lastCollection : undefined;
        points.push([interval, calibrated ?? millisToHrTime(interval.cell[START]!)]);
      }
      stream.reportedLast = new Set(unreported.keys());
    }
    stream.lastCollection = collectionTime;
    if (points.length === 0) return undefined;
    const { sdkDescriptor: descriptor } = storage;
    const aggregationTemporality = stream.temporality;
    if (!storage.histogram) {
      return {
        descriptor,
        aggregationTemporality,
        dataPointType: DataPointType.SUM,
        dataPoints: points.map(([{ cell, attributes }, startTime]) => ({
          attributes,
          startTime,
          endTime: collectionTime,
          value: cell[VALUE]!,
        })),
        isMonotonic: true,
      };
    }
    const boundaries = storage.boundaries as number[];
    return {
      descriptor,
      aggregationTemporality,
      dataPointType: DataPointType.HISTOGRAM,
      dataPoints: points.map(([{ cell, attributes }, startTime]) => {
        const count = cell[COUNT]!;
        return {
          attributes,
          startTime,
          endTime: collectionTime,
          value: {
            min: count > 0 ? cell[MIN] : undefined,
            max: count > 0 ? cell[MAX] : undefined,
            sum: cell[SUM]!,
            buckets: { boundaries, counts: Array.from(cell.subarray(BUCKETS)) },
            count,
          },
        };
      }),
    };
  }
}
