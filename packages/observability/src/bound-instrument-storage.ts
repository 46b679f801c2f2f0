import { ValueType, type Attributes, type MetricAdvice } from '@opentelemetry/api';
import type { InstrumentationScope } from '@opentelemetry/core';
import { InstrumentType } from '@opentelemetry/sdk-metrics';

// One series' running interval is a Float64Array: the time of its first record in the interval
// (0 = untouched since the last collection), then the aggregate. A record writes these slots only.
export const START = 0;
export const COUNT = 1;
export const VALUE = 1;
export const SUM = 2;
export const MIN = 3;
export const MAX = 4;
export const BUCKETS = 5;

/** The SDK's default histogram boundaries, for a histogram given no advice (as the SDK does). */
const DEFAULT_BOUNDARIES = [0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000];

/** The spec's attribute set for measurements past the cardinality limit. */
const OVERFLOW_ATTRIBUTES: Attributes = Object.freeze({ 'otel.metric.overflow': true });

/** Distinct attribute sets an instrument keeps before it overflows: the SDK's default limit. */
export const CARDINALITY_LIMIT = 2000;

/** What a bound instrument is, as the SDK would describe it (name, kind, unit, advice, scope). */
export interface BoundDescriptor {
  readonly scope: InstrumentationScope;
  readonly name: string;
  readonly type: InstrumentType.HISTOGRAM | InstrumentType.COUNTER;
  readonly description: string;
  readonly unit: string;
  readonly advice: MetricAdvice;
  /** Creation order: the SDK reports an instrument's metric in the order the instruments were made. */
  readonly order: number;
}

/** The descriptor the SDK puts in its MetricData, field for field. */
export interface SdkInstrumentDescriptor {
  readonly name: string;
  readonly type: InstrumentType;
  readonly description: string;
  readonly unit: string;
  readonly valueType: ValueType;
  readonly advice: MetricAdvice;
}

/** One attribute set of one instrument: its attributes and the interval a handle writes into. */
export interface Series {
  /** The set (the overflow set for series past the limit). */
  readonly attributes: Attributes;
  readonly cell: Float64Array;
  readonly storage: InstrumentStorage;
  readonly overflow: boolean;
  /**
   * The attributes object of the interval's first record: the SDK reports that object, so an equal
   * set written in another key order comes out in the order the SDK would give.
   */
  recorded: Attributes;
}

/** A series' interval taken out by a drain, with the attributes the SDK would report it under. */
export interface Interval {
  readonly series: Series;
  readonly cell: Float64Array;
  readonly attributes: Attributes;
}

/** The SDK's attribute-set key (sorted keys, JSON): two sets the SDK merges are merged here too. */
export function hashAttributes(attributes: Attributes): string {
  const keys = Object.keys(attributes);
  if (keys.length === 0) return '';
  return JSON.stringify(keys.sort().map((key) => [key, attributes[key]]));
}

/** Advised boundaries as the SDK's explicit-bucket aggregation takes them: sorted, without ±Infinity. */
export function bucketBoundaries(advice: MetricAdvice): number[] {
  const given = advice.explicitBucketBoundaries;
  if (given === undefined) return DEFAULT_BOUNDARIES;
  const sorted = given.concat().sort((a, b) => a - b);
  const afterMinusInfinity = sorted.lastIndexOf(-Infinity) + 1;
  const infinity = sorted.indexOf(Infinity);
  return sorted.slice(afterMinusInfinity, infinity === -1 ? undefined : infinity);
}

/**
 * The series of one instrument under one meter provider. Series are found by attribute set once
 * (at bind); past {@link CARDINALITY_LIMIT} distinct sets, new ones share the overflow series.
 */
export class InstrumentStorage {
  readonly descriptor: BoundDescriptor;
  /** What the SDK reports as the metric's descriptor. */
  readonly sdkDescriptor: SdkInstrumentDescriptor;
  /** Histogram bucket upper bounds (empty for a counter). */
  readonly boundaries: readonly number[];
  readonly histogram: boolean;
  /** Series first recorded since the last drain, in the order of their first record. */
  touched: Series[] = [];
  readonly #series = new Map<string, Series>();
  #overflow: Series | undefined;

  constructor(descriptor: BoundDescriptor) {
    this.descriptor = descriptor;
    this.histogram = descriptor.type === InstrumentType.HISTOGRAM;
    this.boundaries = this.histogram ? bucketBoundaries(descriptor.advice) : [];
    this.sdkDescriptor = {
      name: descriptor.name,
      type: descriptor.type,
      description: descriptor.description,
      unit: descriptor.unit,
      valueType: ValueType.DOUBLE,
      advice: descriptor.advice,
    };
  }

  /** The series of `attributes`: the same one for every equal set, the overflow one past the limit. */
  series(attributes: Attributes): Series {
    const key = hashAttributes(attributes);
    let found = this.#series.get(key);
    if (found === undefined) {
      if (this.#series.size >= CARDINALITY_LIMIT)
        return (this.#overflow ??= this.#newSeries(OVERFLOW_ATTRIBUTES, true));
      found = this.#newSeries(attributes, false);
      this.#series.set(key, found);
    }
    return found;
  }

  /** An empty interval of this instrument's shape. */
  emptyCell(): Float64Array {
    const cell = new Float64Array(this.histogram ? BUCKETS + this.boundaries.length + 1 : VALUE + 1);
    if (this.histogram) {
      cell[MIN] = Infinity;
      cell[MAX] = -Infinity;
    }
    return cell;
  }

  /** Takes out the intervals recorded since the last drain (in first-record order) and resets them. */
  drain(): Interval[] {
    const touched = this.touched;
    if (touched.length === 0) return [];
    this.touched = [];
    return touched.map((series) => {
      const cell = series.cell.slice();
      series.cell.fill(0);
      if (this.histogram) {
        series.cell[MIN] = Infinity;
        series.cell[MAX] = -Infinity;
      }
      return { series, cell, attributes: series.recorded };
    });
  }

  /** Adds interval `from` into `into`; `into` keeps its start (the earlier one), as the SDK merges. */
  merge(into: Float64Array, from: Float64Array): void {
    if (!this.histogram) {
      into[VALUE] = into[VALUE]! + from[VALUE]!;
      return;
    }
    into[COUNT] = into[COUNT]! + from[COUNT]!;
    into[SUM] = into[SUM]! + from[SUM]!;
    into[MIN] = Math.min(into[MIN]!, from[MIN]!);
    into[MAX] = Math.max(into[MAX]!, from[MAX]!);
    for (let i = BUCKETS; i < into.length; i++) into[i] = into[i]! + from[i]!;
  }

  #newSeries(attributes: Attributes, overflow: boolean): Series {
    return { attributes, cell: this.emptyCell(), storage: this, overflow, recorded: attributes };
  }
}
