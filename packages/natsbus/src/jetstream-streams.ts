import { StorageType, type JetStreamManager } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import type { StreamSpec } from './types.ts';

/**
 * Creates the stream when missing, or updates its subjects, duplicate window or replicas when they
 * differ. The duplicate window is what makes `Nats-Msg-Id` (the CloudEvent id) dedupe re-published
 * events; `replicas` > 1 needs a JetStream cluster.
 */
export async function ensureStream(jsm: JetStreamManager, spec: StreamSpec): Promise<void> {
  const duplicates = nanos(spec.duplicateWindowMs ?? 120_000);
  try {
    const info = await jsm.streams.info(spec.name);
    const current = info.config.subjects ?? [];
    const same = current.length === spec.subjects.length && spec.subjects.every((s) => current.includes(s));
    const replicas = spec.replicas ?? info.config.num_replicas;
    if (!same || info.config.duplicate_window !== duplicates || info.config.num_replicas !== replicas) {
      await jsm.streams.update(spec.name, {
        ...info.config,
        subjects: spec.subjects,
        duplicate_window: duplicates,
        num_replicas: replicas,
      });
    }
  } catch (error) {
    if ((error as Error)?.name !== 'StreamNotFoundError') throw error;
    await jsm.streams.add({
      name: spec.name,
      subjects: spec.subjects,
      duplicate_window: duplicates,
      storage: spec.storage === 'memory' ? StorageType.Memory : StorageType.File,
      num_replicas: spec.replicas ?? 1,
    });
  }
}
