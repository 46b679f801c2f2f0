import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { onShutdown, recordError } from '@service-runtime/observability';
import { setTimeout as sleep } from 'node:timers/promises';
import { resolveBusConfig } from './config.ts';
import {
  deadLetterAfter,
  DEFAULT_HANDLER_TIMEOUT_MS,
  subscribeWithOptions,
  type AfterMessage,
} from './core-subscriber.ts';
import { checkPayloadSize, refusalError, refusedByClient } from './core-publish.ts';
import { completeEvent } from './envelope.ts';
import { PublishError } from './errors.ts';
import { busLogger } from './handler-context.ts';
import { checkExtraHeaders } from './event-checks.ts';
import { publishJetStream } from './jetstream-publish.ts';
import { ensureStream } from './jetstream-streams.ts';
import { consumeWith } from './jetstream-setup.ts';
import { MessageProcessor } from './message-processor.ts';
import { encodeOutgoing, structuredHeaders } from './outgoing.ts';
import { startProducerSpan } from './producer-span.ts';
import { PublishQueue } from './publish-queue.ts';
import { replyingHandler, replyOnFailure, sendRequest, type RequestDeps } from './request-reply.ts';
import { destinationTemplate } from './tracer.ts';
import { SubjectPatterns, unpublishableSubject } from './subject-pattern.ts';
import type {
  Bus,
  BusOptions,
  BusSubscription,
  EventHandler,
  HandlerOptions,
  PublishResult,
  SubscribeOptions,
  Validator,
} from './types.ts';
import type { TrackedSubscription } from './internal-types.ts';

/**
 * How long `close()` waits for the connection's own drain or flush after the subscriptions drained:
 * with the server gone it would wait for nats.js to reconnect or give up (forever with
 * `maxReconnectAttempts: -1`), so it is cut and the connection closed.
 */
const CONNECTION_DRAIN_MS = 2000;

/**
 * Connects (or wraps `options.connection`) and returns a bus that publishes and consumes
 * CloudEvents with the trace context carried across every hop. `close()` is registered with
 * observability's `onShutdown` unless `closeOnShutdown` is false.
 */
export async function createBus(options: BusOptions): Promise<Bus> {
  const config = resolveBusConfig(options);
  const owned = options.connection === undefined;
  const nc: NatsConnection =
    options.connection ??
    (await connect({
      ...options.connectOptions,
      servers: config.servers,
      ...(config.name ? { name: config.name } : {}),
    }));
  const externals = new SubjectPatterns(config.externalSubjects);
  const queue = new PublishQueue(nc);
  const shared = structuredHeaders();
  const subscriptions = new Set<TrackedSubscription>();
  let js: JetStreamClient | undefined;
  let jsm: JetStreamManager | undefined;
  const manager = async () => (jsm ??= await jetstreamManager(nc));
  const client = () => (js ??= jetstream(nc));
  const deps: RequestDeps = {
    nc,
    source: config.source,
    externals,
    contentMode: config.contentMode,
    shared,
  };
  const track = (sub: TrackedSubscription): BusSubscription => {
    subscriptions.add(sub);
    return {
      unsubscribe: () => {
        subscriptions.delete(sub);
        sub.unsubscribe();
      },
      drain: async (drainOptions) => {
        subscriptions.delete(sub);
        await sub.drain(drainOptions);
      },
    };
  };
  const processorFor = (
    label: string,
    group: string | undefined,
    opts: HandlerOptions,
    handler: EventHandler,
    subjects: string | undefined = label,
  ) =>
    new MessageProcessor({
      handler,
      validate: opts.validate as Validator | undefined,
      timeoutMs: opts.timeoutMs ?? DEFAULT_HANDLER_TIMEOUT_MS,
      span: {
        group,
        links: opts.consumerLinks ?? 'parent',
        operationName: 'process',
        template: destinationTemplate(subjects),
        connection: nc,
      },
      externals,
      label,
    });

  let reconnecting = false;
  void (async () => {
    for await (const event of nc.status()) {
      if (event.type === 'disconnect' || event.type === 'reconnecting') reconnecting = true;
      else if (event.type === 'reconnect') reconnecting = false;
    }
  })().catch(() => undefined);

  let closing: Promise<void> | undefined;
  let unregister: (() => void) | undefined;

  const bus: Bus = {
    connection: nc,
    source: config.source,

    publish(subject, input, publishOptions = {}) {
      if (nc.isClosed()) return Promise.reject(new PublishError('the bus is closed', 'closed'));
      const unpublishable = unpublishableSubject(subject);
      if (unpublishable !== undefined) {
        return Promise.reject(
          new PublishError(`invalid subject "${String(subject)}": ${unpublishable}`, 'invalid_subject'),
        );
      }
      let event: ReturnType<typeof completeEvent>;
      try {
        event = completeEvent(input as never, config.source);
        if (publishOptions.headers !== undefined) checkExtraHeaders(publishOptions.headers);
      } catch (error) {
        return Promise.reject(error);
      }
      const span = startProducerSpan(subject, event, 'publish', nc);
      try {
        const mode = publishOptions.contentMode ?? config.contentMode;
        const jetstreamPublish = publishOptions.jetstream === true;
        const out = encodeOutgoing(
          event,
          span,
          externals.matches(subject),
          mode,
          shared,
          publishOptions.headers,
          jetstreamPublish ? event.id : undefined,
        );
        if (span.isRecording()) span.setAttribute('messaging.message.body.size', out.body.length);
        checkPayloadSize(nc, out.body, out.headers);
        if (jetstreamPublish) {
          return publishJetStream(
            client(),
            subject,
            out.body,
            {
              headers: out.headers,
              timeoutMs: publishOptions.timeoutMs ?? 5000,
              retryForMs: publishOptions.retryForMs ?? 0,
            },
            (error, attempt) => span.addEvent('retry', { attempt, 'error.type': (error as Error)?.name ?? 'Error' }),
          ).then(
            (ack): PublishResult => {
              span.end();
              return { id: event.id, stream: ack.stream, seq: ack.seq, duplicate: ack.duplicate };
            },
            (error: unknown) => {
              const err = refusedByClient(error)
                ? refusalError(error, subject)
                : new PublishError(
                    `JetStream publish to ${subject} failed: ${(error as Error)?.message}`,
                    'jetstream_publish_failed',
                    { cause: error },
                  );
              recordError(span, err);
              span.end();
              throw err;
            },
          );
        }
        return queue.push(subject, out.body, out.headers, span, event.id);
      } catch (error) {
        recordError(span, error);
        span.end();
        return Promise.reject(error);
      }
    },

    subscribe(subject, handler, opts = {}) {
      const processor = processorFor(subject, opts.queue, opts as HandlerOptions, handler as EventHandler);
      const dead = deadLetterAfter(nc, opts.deadLetterSubject, opts.queue ?? subject);
      return track(subscribeWithOptions(nc, subject, opts as SubscribeOptions, processor, dead, false));
    },

    request(subject, input, opts = {}) {
      return sendRequest(
        deps,
        subject,
        input as never,
        opts.timeoutMs ?? 5000,
        opts.contentMode ?? config.contentMode,
      ) as never;
    },

    reply(subject, handler, opts = {}) {
      const processor = processorFor(
        subject,
        opts.queue,
        opts as HandlerOptions,
        replyingHandler(deps, handler as never),
      );
      const dead = deadLetterAfter(nc, opts.deadLetterSubject, opts.queue ?? subject);
      const failed = replyOnFailure(deps);
      const after: AfterMessage = (msg, raw, outcome) => {
        failed(msg, raw, outcome);
        dead(msg, raw, outcome);
      };
      return track(subscribeWithOptions(nc, subject, opts as SubscribeOptions, processor, after, true));
    },

    async ensureStream(spec) {
      await ensureStream(await manager(), spec);
    },

    async consume(spec, handler, opts = {}) {
      const processor = processorFor(
        spec.durable,
        spec.durable,
        opts as HandlerOptions,
        handler as EventHandler,
        spec.filterSubject,
      );
      return track(await consumeWith({ nc, js: client(), jsm: await manager() }, spec, opts as never, { processor }));
    },

    async consumeBatch(spec, handler, opts = {}) {
      const processor = processorFor(spec.durable, spec.durable, opts as HandlerOptions, () => undefined);
      return track(
        await consumeWith({ nc, js: client(), jsm: await manager() }, spec, opts as never, {
          processor,
          batchHandler: handler as never,
        }),
      );
    },

    async flush() {
      await nc.flush();
    },

    status() {
      return {
        connected: !nc.isClosed() && !reconnecting,
        closing: closing !== undefined,
        subscriptions: [...subscriptions].map((sub) => sub.status()),
      };
    },

    close(closeOptions = {}) {
      closing ??= (async () => {
        unregister?.();
        const timeoutMs = closeOptions.timeoutMs ?? config.drainTimeoutMs;
        await Promise.allSettled([...subscriptions].map((sub) => sub.drain({ timeoutMs })));
        subscriptions.clear();
        if (nc.isClosed()) return;
        const closes = owned || options.closeConnection === true;
        const flushed = await Promise.race([
          (closes ? nc.drain() : nc.flush()).then(
            () => true,
            () => false,
          ),
          sleep(CONNECTION_DRAIN_MS, false, { ref: false }),
        ]);
        if (flushed) return;
        busLogger().warn(
          { bound_ms: CONNECTION_DRAIN_MS },
          closes
            ? 'natsbus could not flush to the server before closing; what nats.js still buffered is lost'
            : 'natsbus could not flush to the server before closing; the connection it was given keeps what it buffered',
        );
        if (closes && !nc.isClosed()) await nc.close().catch(() => undefined);
      })();
      return closing;
    },
  };
  // Last before telemetry in the shutdown sequence: HTTP servers drain first (their requests may
  // still publish), then the bus stops taking work and closes, within the shutdown grace.
  if (options.closeOnShutdown !== false) {
    unregister = onShutdown(
      (ctx) => {
        // what handlers hand back (nak) and the connection drain (cut after CONNECTION_DRAIN_MS)
        // need their share of the grace too, so close() ends within it even with the server gone
        const left = ctx.remainingMs();
        return bus.close({
          timeoutMs: Math.min(config.drainTimeoutMs, left - Math.min(CONNECTION_DRAIN_MS, left / 4)),
        });
      },
      { phase: 'messaging' },
    );
  }
  return bus;
}
