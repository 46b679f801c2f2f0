// The messaging durations are bound histograms: under a meter provider the user built they record
// through its API histograms (its views and readers see them); once observability's provider is
// installed the same subscription and publisher record into it, starting from zero.
import { metrics } from '@opentelemetry/api';
import { MeterProvider, type HistogramMetricData, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { setupTestTelemetry } from '@service-runtime/observability/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNatsServer, type NatsServer } from '../../../test/helpers/nats-server.ts';
import { PullMetricReader } from '../../../test/helpers/pull-metric-reader.ts';
import { createBus, type Bus } from '../src/index.ts';
import { uniqueSubject, waitFor, waitForAsync } from './fixture.ts';

function histogram(metrics: ResourceMetrics, name: string): HistogramMetricData | undefined {
  return metrics.scopeMetrics.flatMap((s) => s.metrics).find((m) => m.descriptor.name === name) as
    HistogramMetricData | undefined;
}

let server: NatsServer;
let bus: Bus;
beforeAll(async () => {
  process.env['LOG_LEVEL'] ??= 'error';
  server = await startNatsServer();
});
afterAll(async () => {
  await bus?.close();
  await server.close();
  metrics.disable();
});

describe('messaging duration metrics and the meter provider', () => {
  it('go to the user provider, then to observability once it is installed', async () => {
    const reader = new PullMetricReader();
    const provider = new MeterProvider({ readers: [reader] });
    metrics.setGlobalMeterProvider(provider);
    bus = await createBus({ servers: server.url, source: '/test', closeOnShutdown: false });
    const subject = uniqueSubject('providers');
    let received = 0;
    bus.subscribe(subject, () => void received++);
    await bus.flush();
    await bus.publish(subject, { type: 't' });
    await bus.publish(subject, { type: 't' });
    await waitFor(() => received === 2);
    await bus.flush();

    const collected = (await reader.collect()).resourceMetrics;
    const sent = histogram(collected, 'messaging.client.operation.duration');
    const publish = sent?.dataPoints.find((p) => p.attributes['messaging.destination.name'] === subject);
    expect(publish?.attributes).toMatchObject({
      'messaging.system': 'nats',
      'messaging.operation.name': 'publish',
      'server.address': '127.0.0.1',
    });
    expect(publish?.value.count).toBe(2);
    expect(sent?.descriptor.unit).toBe('s');
    // the process duration is recorded when the handler's span ends, just after the handler
    await waitForAsync(async () => {
      const processed = histogram((await reader.collect()).resourceMetrics, 'messaging.process.duration');
      return (
        processed?.dataPoints.find((p) => p.attributes['messaging.destination.name'] === subject)?.value.count === 2
      );
    });

    metrics.disable();
    const telemetry = setupTestTelemetry();
    await bus.publish(subject, { type: 't' });
    await waitFor(() => received === 3);
    const line = async (name: string) =>
      (await telemetry.prometheusText())
        .split('\n')
        .find((l) => l.startsWith(`${name}_count`) && l.includes(`"${subject}"`));
    expect(await line('messaging_client_operation_duration')).toMatch(/ 1$/);
    await waitForAsync(async () => / 1$/.test((await line('messaging_process_duration')) ?? ''));
    // the user provider got nothing more
    const after = histogram((await reader.collect()).resourceMetrics, 'messaging.client.operation.duration');
    expect(after?.dataPoints.find((p) => p.attributes['messaging.destination.name'] === subject)?.value.count).toBe(2);
    await telemetry.shutdown();
    await provider.shutdown();
  });
});
