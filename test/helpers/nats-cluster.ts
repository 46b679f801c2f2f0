import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { freePort, type NatsServer, startNatsServer } from './nats-server.ts';

/** Options for {@link startNatsCluster}. */
export interface NatsClusterOptions {
  /** Nodes in the cluster. Default 3. */
  size?: number;
  /** Cluster name (`--cluster_name`). Default `test-cluster`. */
  name?: string;
  /** How long to wait for a JetStream meta leader. Default 30000 ms. */
  readyTimeoutMs?: number;
}

/** A nats-server cluster with JetStream on 127.0.0.1, disposable with `await using`. */
export interface NatsCluster extends AsyncDisposable {
  /** Client URLs, one per node (`nats://127.0.0.1:<port>`), in node order. */
  readonly urls: string[];
  /** The nodes (each a {@link NatsServer}: `url`, `pid`, `stop`, `restart`). */
  readonly nodes: NatsServer[];
  /** SIGKILLs node `i`; its ports and store stay reserved for {@link NatsCluster.restart}. */
  kill(i: number): Promise<void>;
  /** Starts node `i` again on the same ports with the same store (stops it first if it runs). */
  restart(i: number): Promise<void>;
  /** Resolves once JetStream answers with a meta leader, through any running node. */
  waitForJetStream(timeoutMs?: number): Promise<void>;
  /** Stops every node and removes the stores. */
  close(): Promise<void>;
}

/**
 * Starts a JetStream cluster of `size` nats-server processes on loopback: each node `node-<i>` has
 * its own store (`-sd`), its own client and cluster ports (picked free beforehand) and routes to the
 * others. Resolves once the cluster has a JetStream meta leader.
 */
export async function startNatsCluster(options: NatsClusterOptions = {}): Promise<NatsCluster> {
  const size = options.size ?? 3;
  const clusterName = options.name ?? 'test-cluster';
  const root = await mkdtemp(join(tmpdir(), 'nats-cluster-'));
  const clientPorts: number[] = [];
  const clusterPorts: number[] = [];
  const taken = new Set<number>();
  while (clientPorts.length + clusterPorts.length < size * 2) {
    const port = await freePort();
    if (taken.has(port)) continue;
    taken.add(port);
    if (clientPorts.length < size) clientPorts.push(port);
    else clusterPorts.push(port);
  }
  const nodes: NatsServer[] = [];
  const close = async () => {
    await Promise.allSettled(nodes.map((node) => node.close()));
    await rm(root, { recursive: true, force: true });
  };
  try {
    const started = clientPorts.map(async (port, i) => {
      const storeDir = join(root, `node-${i}`);
      await mkdir(storeDir, { recursive: true });
      const routes = clusterPorts
        .filter((_, j) => j !== i)
        .map((p) => `nats://127.0.0.1:${p}`)
        .join(',');
      return startNatsServer({
        jetstream: true,
        port,
        name: `node-${i}`,
        storeDir,
        args: ['--cluster_name', clusterName, '--cluster', `nats://127.0.0.1:${clusterPorts[i]}`, '--routes', routes],
      });
    });
    const settled = await Promise.allSettled(started);
    for (const result of settled) if (result.status === 'fulfilled') nodes.push(result.value);
    const failed = settled.find((result) => result.status === 'rejected');
    if (failed !== undefined) throw (failed as PromiseRejectedResult).reason;
  } catch (error) {
    await close();
    throw error;
  }
  const urls = clientPorts.map((port) => `nats://127.0.0.1:${port}`);

  const waitForJetStream = async (timeoutMs = options.readyTimeoutMs ?? 30_000) => {
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    while (Date.now() < deadline) {
      try {
        const nc = await connect({ servers: urls, reconnect: false, timeout: 2000 });
        try {
          const jsm = await jetstreamManager(nc, { timeout: 2000 });
          await jsm.getAccountInfo();
          return;
        } finally {
          await nc.close();
        }
      } catch (error) {
        last = error;
        await sleep(250);
      }
    }
    throw new Error(`JetStream cluster had no meta leader within ${timeoutMs} ms: ${(last as Error)?.message}`);
  };

  try {
    await waitForJetStream();
  } catch (error) {
    await close();
    throw error;
  }

  return {
    urls,
    nodes,
    kill: (i) => nodes[i]!.stop('SIGKILL'),
    restart: (i) => nodes[i]!.restart(),
    waitForJetStream,
    close,
    [Symbol.asyncDispose]: close,
  };
}
