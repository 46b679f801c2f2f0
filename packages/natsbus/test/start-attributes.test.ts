import type { Attributes } from '@opentelemetry/api';
import { startAttributesObserved } from '@service-runtime/observability';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { startNatsServer } from '../../../test/helpers/nats-server.ts';
import { attributeRecordingSampler, observabilityPerTest } from '../../../test/helpers/observability-per-test.ts';
import { startOtlpReceiver } from '../../../test/helpers/otlp-receiver.ts';
import { createBus } from '../src/index.ts';
import { uniqueSubject, waitFor } from './fixture.ts';

// Under initObservability with a built-in sampler nothing reads start attributes, so natsbus sets them
// only on recorded spans, after the start; a custom sampler gets them at the start. The exported
// spans carry them either way.
const init = observabilityPerTest();
beforeEach(() => {
  vi.stubEnv('LOG_LEVEL', 'error');
});

async function publishAndConsume(subject: string): Promise<void> {
  await using server = await startNatsServer();
  const bus = await createBus({ servers: server.url, source: '/test', closeOnShutdown: false });
  let handled = 0;
  bus.subscribe(subject, () => void handled++);
  await bus.flush();
  await bus.publish(subject, { type: 'order.created', data: { id: 1 } });
  await waitFor(() => handled === 1);
  await bus.close();
}

const START = { 'messaging.system': 'nats', 'messaging.destination.name': expect.any(String) };

describe('messaging span start attributes', () => {
  it('are on both exported spans when a built-in sampler decides (set after the start)', async () => {
    await using receiver = await startOtlpReceiver();
    vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', receiver.endpoint);
    const obs = init({});
    expect(startAttributesObserved()).toBe(false);
    const subject = uniqueSubject('start.blind');
    await publishAndConsume(subject);
    await obs.forceFlush();
    const spans = await receiver.waitForSpans(2, { filter: (s) => s.name.endsWith(subject) });
    for (const [name, type] of [
      [`publish ${subject}`, 'send'],
      [`process ${subject}`, 'process'],
    ]) {
      expect(spans.find((s) => s.name === name)?.attributes).toMatchObject({
        ...START,
        'messaging.destination.name': subject,
        'messaging.operation.type': type,
      });
    }
  });

  it('are given at the start to a custom sampler', async () => {
    const seen: Attributes[] = [];
    const sampler = attributeRecordingSampler(seen);
    init({ tracesExporter: 'none', sampler });
    const subject = uniqueSubject('start.seen');
    await publishAndConsume(subject);
    const types = seen
      .filter((a) => a['messaging.destination.name'] === subject)
      .map((a) => a['messaging.operation.type']);
    expect(types.sort()).toEqual(['process', 'send']);
  });
});
