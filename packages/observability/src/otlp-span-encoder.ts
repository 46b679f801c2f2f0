/**
 * Encodes finished spans as an OTLP/protobuf `ExportTraceServiceRequest`, byte for byte what the
 * SDK's `ProtobufTraceSerializer` (otlp-transformer 0.301.0) produces, in one pass over one reused
 * buffer instead of a size pass plus a write pass into a fresh one.
 */
import type { Link, SpanContext, SpanStatus } from '@opentelemetry/api';
import type { InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace';
import { writeAttributes } from './otlp-attributes.ts';
import { OtlpWriter } from './otlp-writer.ts';

const HAS_IS_REMOTE = 0x100;
const IS_REMOTE = 0x200;

const writer = new OtlpWriter();

/** Span messages are written side by side into slabs of this size, each span kept as a view. */
const SLAB_SIZE = 32 * 1024;
/** A span starts a fresh slab when less than this is left, so growing mid-span stays rare. */
const SLAB_ROOM = 2 * 1024;

/**
 * A span encoded when it ended: its resource and scope (to group it in a request) and its OTLP `Span`
 * message. Queued instead of the SDK span, it keeps a few hundred bytes without pointers alive until
 * the export, not the span's object graph, so a backlog costs the GC little.
 */
export interface EncodedSpan {
  readonly resource: Resource;
  readonly instrumentationScope: InstrumentationScope;
  /** A view into a slab of its {@link EndedSpanEncoder} (or, for a span larger than the room, its own bytes). */
  readonly encoded: Uint8Array;
}

/**
 * Encodes spans as they end, straight into a 32 KiB slab, each kept as a view of it: no copy and no
 * string per span. Use one per queue emptied in order (a batch processor): a slab then stays alive
 * only while one of its spans waits, so what the queue pins is its own bytes plus one slab.
 */
export class EndedSpanEncoder {
  private readonly w = new OtlpWriter();

  constructor() {
    this.w.newSlab(SLAB_SIZE);
  }

  /** The `Span` message of `span`, for {@link encodeTraceRequest} to put in a request later. */
  encode(span: ReadableSpan): EncodedSpan {
    const w = this.w;
    if (w.buf.length - w.pos < SLAB_ROOM) w.newSlab(SLAB_SIZE);
    const slab = w.buf;
    const start = w.pos;
    writeSpan(w, span);
    let encoded: Uint8Array;
    if (w.buf !== slab) {
      // The span outgrew the slab: it gets its own bytes, and the grown buffer is not kept.
      encoded = new Uint8Array(w.buf.subarray(start, w.pos));
      w.newSlab(SLAB_SIZE);
    } else {
      encoded = w.buf.subarray(start, w.pos);
    }
    return { resource: span.resource, instrumentationScope: span.instrumentationScope, encoded };
  }
}

let endedSpans: EndedSpanEncoder | undefined;

/** {@link EndedSpanEncoder.encode} on a module-wide encoder (made on first use), for tests and benchmarks. */
export function encodeSpan(span: ReadableSpan): EncodedSpan {
  return (endedSpans ??= new EndedSpanEncoder()).encode(span);
}

/**
 * Serializes spans (SDK spans, or spans encoded at their end) grouped by resource object, then by
 * instrumentation scope object (the grouping of the SDK's protobuf serializer). Returns a fresh
 * copy, so the exporter may hold it while retrying.
 */
export function encodeTraceRequest(spans: readonly (ReadableSpan | EncodedSpan)[]): Uint8Array {
  const groups = new Map<Resource, Map<InstrumentationScope, (ReadableSpan | EncodedSpan)[]>>();
  for (const span of spans) {
    let scopes = groups.get(span.resource);
    if (scopes === undefined) {
      scopes = new Map();
      groups.set(span.resource, scopes);
    }
    const list = scopes.get(span.instrumentationScope);
    if (list === undefined) scopes.set(span.instrumentationScope, [span]);
    else list.push(span);
  }
  const w = writer;
  w.reset();
  for (const [resource, scopes] of groups) {
    w.byte(0x0a);
    const rs = w.begin(3);
    writeResource(w, resource);
    for (const [scope, list] of scopes) {
      w.byte(0x12);
      const ss = w.begin(3);
      writeScope(w, scope);
      for (const span of list) {
        w.byte(0x12);
        if ('encoded' in span) {
          w.bytes(span.encoded);
          continue;
        }
        const start = w.begin(2);
        writeSpan(w, span);
        w.end(start, 2);
      }
      if (scope.schemaUrl) {
        w.byte(0x1a);
        w.string(scope.schemaUrl);
      }
      w.end(ss, 3);
    }
    if (resource.schemaUrl) {
      w.byte(0x1a);
      w.string(resource.schemaUrl);
    }
    w.end(rs, 3);
  }
  return w.copy();
}

function writeResource(w: OtlpWriter, resource: Resource): void {
  w.byte(0x0a);
  const start = w.begin(2);
  const attributes = resource.attributes;
  if (attributes) writeAttributes(w, attributes, 0x0a);
  w.byte(0x10);
  w.byte(0);
  w.end(start, 2);
}

function writeScope(w: OtlpWriter, scope: InstrumentationScope): void {
  w.byte(0x0a);
  const start = w.begin(1);
  w.byte(0x0a);
  w.string(scope.name);
  if (scope.version) {
    w.byte(0x12);
    w.string(scope.version);
  }
  const extra = scope as { attributes?: object; droppedAttributesCount?: number };
  if (extra.attributes) writeAttributes(w, extra.attributes, 0x1a);
  if (extra.droppedAttributesCount) {
    w.byte(0x20);
    w.varint(extra.droppedAttributesCount);
  }
  w.end(start, 1);
}

// Span and Link both start with trace_id = 1, span_id = 2 and trace_state = 3.
function writeContextIds(w: OtlpWriter, ctx: SpanContext): void {
  w.byte(0x0a);
  w.hexId(ctx.traceId);
  w.byte(0x12);
  w.hexId(ctx.spanId);
  const traceState = ctx.traceState?.serialize();
  if (traceState) {
    w.byte(0x1a);
    w.string(traceState);
  }
}

function writeSpan(w: OtlpWriter, span: ReadableSpan): void {
  const ctx = span.spanContext();
  writeContextIds(w, ctx);
  const parent = span.parentSpanContext;
  if (parent?.spanId) {
    w.byte(0x22);
    w.hexId(parent.spanId);
  }
  w.byte(0x2a);
  w.string(span.name);
  const kind = span.kind == null ? 0 : span.kind + 1;
  if (kind !== 0) {
    w.byte(0x30);
    w.varint(kind);
  }
  w.byte(0x39);
  w.hrTime(span.startTime);
  w.byte(0x41);
  w.hrTime(span.endTime);
  if (span.attributes) writeAttributes(w, span.attributes, 0x4a);
  w.byte(0x50);
  w.varint(span.droppedAttributesCount);
  for (const event of span.events) writeEvent(w, event);
  w.byte(0x60);
  w.varint(span.droppedEventsCount);
  for (const link of span.links) writeLink(w, link);
  w.byte(0x70);
  w.varint(span.droppedLinksCount);
  writeStatus(w, span.status);
  w.byte(0x85);
  w.byte(0x01);
  w.fixed32(flagsOf(ctx.traceFlags, parent?.isRemote));
}

function writeEvent(w: OtlpWriter, event: TimedEvent): void {
  w.byte(0x5a);
  const start = w.begin(1);
  w.byte(0x09);
  w.hrTime(event.time);
  w.byte(0x12);
  w.string(event.name);
  if (event.attributes) writeAttributes(w, event.attributes, 0x1a);
  w.byte(0x20);
  w.varint(event.droppedAttributesCount || 0);
  w.end(start, 1);
}

function writeLink(w: OtlpWriter, link: Link): void {
  w.byte(0x6a);
  const start = w.begin(1);
  const ctx = link.context;
  writeContextIds(w, ctx);
  if (link.attributes) writeAttributes(w, link.attributes, 0x22);
  w.byte(0x28);
  w.varint(link.droppedAttributesCount || 0);
  w.byte(0x35);
  w.fixed32(flagsOf(ctx.traceFlags, ctx.isRemote));
  w.end(start, 1);
}

function writeStatus(w: OtlpWriter, status: SpanStatus): void {
  w.byte(0x7a);
  const start = w.begin(1);
  if (status.message) {
    w.byte(0x12);
    w.string(status.message);
  }
  w.byte(0x18);
  w.varint(status.code);
  w.end(start, 1);
}

/** W3C trace flags plus the OTLP "has is_remote" and "is_remote" bits. */
function flagsOf(traceFlags: number, isRemote: boolean | undefined): number {
  return (traceFlags & 0xff) | HAS_IS_REMOTE | (isRemote ? IS_REMOTE : 0);
}
