import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';
import { natsServerBin, removeQuietly, waitReady } from './nats-server.js';
import { atExit, spawnOwned, type OwnedProcess } from './owned-process.js';

/** A JetStream cluster of nats-server processes on 127.0.0.1, owned by one test file. */
export interface NatsClusterHandle {
  /** Every node's client URL, comma-separated: what NATS_URL takes. */
  readonly url: string;
  /** Node i's client URL (`nats://127.0.0.1:<port>`); stays the same across kill() and restart(). */
  readonly urls: readonly string[];
  readonly size: number;
  /** The folder holding every node's config and store. */
  readonly storeDir: string;
  /** SIGKILL of node i (a crash); its store is kept for restart(). */
  kill(node: number): Promise<void>;
  /** Starts node i again on its ports and store (stopping it gracefully first if running) and waits until ready. */
  restart(node: number): Promise<void>;
  /** SIGTERM to every node, then deletes the stores. The handle is finished after this. */
  stop(): Promise<void>;
}

/** The nodes must meet and elect a JetStream meta leader first: seconds more than one server, on a busy machine. */
const CLUSTER_READY_TIMEOUT_MS = 30_000;

interface Node {
  readonly port: number;
  readonly configFile: string;
  process: OwnedProcess;
}

/**
 * The config of one node: its own client and route ports and store, routes to every node, and
 * `sync_interval: always` (every write on disk before the ack), as Hookpost's own config has.
 */
function nodeConfig(
  name: string,
  port: number,
  routePorts: readonly number[],
  index: number,
  storeDir: string,
) {
  return [
    `server_name: ${name}-n${index}`,
    'host: "127.0.0.1"',
    `port: ${port}`,
    `jetstream { store_dir: ${JSON.stringify(storeDir)}, sync_interval: always }`,
    'cluster {',
    `  name: ${name}`,
    '  host: "127.0.0.1"',
    `  port: ${routePorts[index]}`,
    `  routes: [${routePorts.map((p) => `"nats-route://127.0.0.1:${p}"`).join(', ')}]`,
    '}',
    '',
  ].join('\n');
}

/** Starts a `size`-node cluster (default 3) and resolves once every node answers the JetStream API. */
export async function startNatsCluster(size = 3): Promise<NatsClusterHandle> {
  const root = await mkdtemp(join(tmpdir(), 'hookpost-nats-cluster-'));
  const forgetRoot = atExit(() => removeQuietly(root));
  const ports = await distinctPorts(size * 2);
  const clientPorts = ports.slice(0, size);
  const routePorts = ports.slice(size);
  const name = `hp${clientPorts[0]}`;
  const launch = (node: Omit<Node, 'process'>) => spawnOwned(natsServerBin(), ['-c', node.configFile]);
  const nodes: Node[] = [];
  for (let i = 0; i < size; i += 1) {
    const dir = join(root, `n${i}`);
    await mkdir(dir, { recursive: true });
    const configFile = join(dir, 'nats-server.conf');
    await writeFile(configFile, nodeConfig(name, clientPorts[i]!, routePorts, i, join(dir, 'store')));
    const node = { port: clientPorts[i]!, configFile };
    nodes.push({ ...node, process: launch(node) });
  }
  const stopAll = async () => {
    await Promise.all(nodes.map((node) => node.process.terminate('SIGTERM')));
    forgetRoot();
    await rm(root, { recursive: true, force: true });
  };
  try {
    // The JetStream API answers once the nodes have met and elected a meta leader.
    await Promise.all(nodes.map((node) => waitReady(node.process, node.port, CLUSTER_READY_TIMEOUT_MS)));
  } catch (error) {
    await stopAll();
    throw error;
  }
  const nodeAt = (index: number): Node => {
    const node = nodes[index];
    if (node === undefined) {
      throw new Error(`the cluster has nodes 0-${size - 1}, not ${index}`);
    }
    return node;
  };
  const urls = clientPorts.map((port) => `nats://127.0.0.1:${port}`);
  return {
    url: urls.join(','),
    urls,
    size,
    storeDir: root,
    async kill(index) {
      await nodeAt(index).process.terminate('SIGKILL');
    },
    async restart(index) {
      const node = nodeAt(index);
      await node.process.terminate('SIGTERM');
      node.process = launch(node);
      await waitReady(node.process, node.port, CLUSTER_READY_TIMEOUT_MS);
    },
    stop: stopAll,
  };
}

async function distinctPorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) {
    ports.add(await freePort());
  }
  return [...ports];
}
