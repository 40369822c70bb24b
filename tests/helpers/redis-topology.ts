/**
 * Redis topologies of the test's own, for what one Redis cannot show: a primary that fails over under
 * a client, a node killed or frozen (SIGSTOP) in a replicated set, slots moving to a promoted replica.
 *
 * - startSentinelSet(): one primary, its replicas and three sentinels (`redis-server <conf> --sentinel`).
 * - startCluster(): masters with replicas, created by hand (CLUSTER ADDSLOTSRANGE / MEET / REPLICATE),
 *   so nothing but redis-server is needed (redis-cli is not).
 *
 * Every process runs on ports from freePort(), in a temporary folder of its own under os.tmpdir(),
 * with an append-only file fsynced on every write: a node killed with kill() and started again with
 * restart() comes back on the same port and folder with what it had. Timings are shortened for tests
 * (a node is judged down after 1 s). Every wait has a deadline (waitFor); stop() kills everything,
 * paused processes included, and deletes the folders.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { freePort, track } from './process';
import { waitFor } from './wait';

const HOST = '127.0.0.1';
const SLOTS = 16384;

export type Role = 'master' | 'slave' | 'down';
export type ProcessState = 'running' | 'paused' | 'killed';

/** One redis-server (a data node or a sentinel) that a test can freeze, kill and start again. */
export interface RedisProcess {
  port: number;
  /** redis://127.0.0.1:<port> */
  url: string;
  /** Its own folder: config, append-only file, cluster nodes.conf. */
  dir: string;
  /** SIGSTOP: connections stay open, nothing is answered (a hung or partitioned server). */
  pause(): void;
  /** SIGCONT. */
  resume(): void;
  /** SIGKILL, as a crash would; resolves once the process is gone. */
  kill(): Promise<void>;
  /** Starts it again, same port, same folder (and so the same data and, in a cluster, the same node id). */
  restart(): Promise<void>;
  /** What the harness did to it last: 'running' does not promise that it answers. */
  state(): ProcessState;
  /** One command on a connection of its own (1 s to connect, 1 s to answer). */
  call<T = unknown>(command: string, ...args: (string | number)[]): Promise<T>;
  /** The last lines it wrote (its log), for a failing test's message. */
  output(): string;
}

export interface DataNode extends RedisProcess {
  /** What the node itself says (ROLE); 'down' when it does not answer within 1 s, or is paused or killed. */
  role(): Promise<Role>;
}

// ---------------------------------------------------------------------------------------------
// Processes

/** One short-lived connection, one command: nothing stays open to a node that a test then kills. */
export async function callPort<T = unknown>(port: number, command: string, ...args: (string | number)[]): Promise<T> {
  const redis = new Redis({
    host: HOST,
    port,
    lazyConnect: true,
    enableReadyCheck: false,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 1000,
    commandTimeout: 1000,
    // disconnect() ends the socket and destroys it after this long if still open (a paused server
    // never closes its side): short, so that no timer outlives the test.
    disconnectTimeout: 100,
  });
  redis.on('error', () => {}); // the rejected command carries it
  try {
    await redis.connect();
    return (await redis.call(command, ...args)) as T;
  } finally {
    // Not after a failed connect: ioredis would arm that timer for a socket already closed.
    if (redis.status !== 'end') redis.disconnect();
  }
}

function parseInfo(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of text.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0 && !line.startsWith('#')) fields[line.slice(0, colon)] = line.slice(colon + 1);
  }
  return fields;
}

async function info(port: number, section: string): Promise<Record<string, string>> {
  return parseInfo(await callPort<string>(port, 'INFO', section));
}

/** SENTINEL replicas / sentinels answer flat [key, value, key, value, ...] lists. */
function pairs(flat: string[]): Record<string, string> {
  const fields: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i]] = flat[i + 1];
  return fields;
}

/** Distinct free ports (freePort() alone may hand out the same one twice in a row). */
async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

/**
 * Waits until every replica the master on `port` lists is online and has acknowledged everything the
 * master had written when this was called: a write made before it is then on every replica.
 */
async function waitForCaughtUp(port: number, timeoutMs: number): Promise<void> {
  const target = Number((await info(port, 'replication')).master_repl_offset);
  await waitFor(
    async () => {
      const replication = await info(port, 'replication');
      const replicas = Object.entries(replication)
        .filter(([key]) => /^slave\d+$/.test(key))
        .map(([, value]) => value);
      return replicas.every((r) => r.includes('state=online') && Number(/offset=(\d+)/.exec(r)?.[1]) >= target);
    },
    `the replicas of the master on port ${port} to reach offset ${target}`,
    timeoutMs,
  );
}

/**
 * Spawns `redis-server ...args()` in `dir` and resolves once it answers PING. The arguments are
 * computed at each (re)start. Fails at once, with its output, if it cannot start or exits early.
 */
function redisProcess(
  label: string,
  port: number,
  dir: string,
  args: () => string[],
): RedisProcess & { start(): Promise<void>; stop(): Promise<void> } {
  let child: ChildProcess | undefined;
  let state: ProcessState = 'killed';
  let log = '';

  const exited = (c: ChildProcess) =>
    new Promise<void>((resolve) => (c.exitCode !== null || c.signalCode !== null ? resolve() : c.once('exit', () => resolve())));

  const start = async () => {
    if (state !== 'killed') throw new Error(`${label} (port ${port}) is already ${state}`);
    let failure: Error | undefined;
    const argv = args();
    const c = spawn('redis-server', argv, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    child = c;
    track(c); // a test that forgets stop() leaves no redis-server behind
    state = 'running';
    const keep = (chunk: Buffer) => {
      log = (log + chunk.toString()).slice(-20_000);
    };
    c.stdout!.on('data', keep);
    c.stderr!.on('data', keep);
    c.once('error', (error) => {
      failure = new Error(
        `could not start redis-server for ${label} (install Debian's redis-server: apt-get install redis-server): ${error.message}`,
      );
    });
    c.once('exit', (code, signal) => {
      if (child === c) state = 'killed';
      failure ??= new Error(`${label}: redis-server ${argv.join(' ')} exited (${code ?? signal}) before answering:\n${log.slice(-2000)}`);
    });
    await waitFor(
      async () => failure !== undefined || (await callPort(port, 'PING')) === 'PONG',
      `${label} to answer PING on port ${port}`,
      10_000,
    );
    if (failure) throw failure;
  };

  const kill = async () => {
    const c = child;
    if (!c || state === 'killed') return;
    c.kill('SIGKILL'); // SIGKILL ends a stopped process too
    await exited(c);
    state = 'killed';
  };

  return {
    port,
    url: `redis://${HOST}:${port}`,
    dir,
    start,
    pause: () => {
      if (state !== 'running') return;
      child!.kill('SIGSTOP');
      state = 'paused';
    },
    resume: () => {
      if (state !== 'paused') return;
      child!.kill('SIGCONT');
      state = 'running';
    },
    kill,
    restart: start,
    state: () => state,
    call: (command, ...rest) => callPort(port, command, ...rest),
    output: () => log,
    stop: async () => {
      if (state === 'paused') child!.kill('SIGCONT');
      await kill();
    },
  };
}

function dataNode(proc: RedisProcess): DataNode {
  const { port, url, dir, pause, resume, kill, restart, state, call, output } = proc;
  return {
    port,
    url,
    dir,
    pause,
    resume,
    kill,
    restart,
    state,
    call,
    output,
    role: async () => {
      if (state() !== 'running') return 'down';
      try {
        const [role] = await call<[string]>('ROLE');
        return role === 'master' || role === 'slave' ? role : 'down';
      } catch {
        return 'down';
      }
    },
  };
}

/** What one topology started — processes and their folders — and how to stop and remove it all. */
function started() {
  const processes: (RedisProcess & { stop(): Promise<void> })[] = [];
  const dirs: string[] = [];
  return {
    processes,
    /** A fresh temporary folder, removed by stop(). */
    dir(kind: string): string {
      const dir = mkdtempSync(path.join(tmpdir(), `liveblog-${kind}-`));
      dirs.push(dir);
      return dir;
    },
    async stop(): Promise<void> {
      await Promise.all(processes.map((p) => p.stop()));
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Settings of every data node: no RDB snapshots, an AOF fsynced on every write, full syncs at once. */
const DATA_SETTINGS: [string, string][] = [
  ['bind', HOST],
  ['save', '""'],
  ['appendonly', 'yes'],
  ['appendfsync', 'always'],
  // 7.0 waits 5 s by default before a diskless full sync, for more replicas to join it.
  ['repl-diskless-sync-delay', '0'],
];

// ---------------------------------------------------------------------------------------------
// Sentinel

export interface SentinelSetOptions {
  /** @default 2 */
  replicas?: number;
  /** @default 3 (quorum 2) */
  sentinels?: number;
  /** @default 'lbmaster' */
  masterName?: string;
  /** Extra redis-server arguments for every data node (e.g. ['--min-replicas-to-write', '1']), or per node index (0 = first primary). */
  nodeArgs?: string[] | ((index: number) => string[]);
}

export interface SentinelSet {
  masterName: string;
  /** redis-sentinel://127.0.0.1:P1,127.0.0.1:P2,127.0.0.1:P3/<masterName> */
  url: string;
  sentinelPorts: number[];
  /** ioredis' `sentinels` option. */
  sentinelAddresses: { host: string; port: number }[];
  /** Data nodes; nodes[0] is the first primary. */
  nodes: DataNode[];
  sentinels: RedisProcess[];
  /** The node that a sentinel names with SENTINEL get-master-addr-by-name. */
  primary(): Promise<DataNode>;
  /**
   * SENTINEL FAILOVER, then waits until every sentinel names another node, which says it is master.
   * The old primary is not told anything yet: it stays a writable master for about 10 s more, until
   * the sentinels make it a replica (and close its clients' connections); waitForSettled() waits for that.
   */
  failover(timeoutMs?: number): Promise<DataNode>;
  /** Waits until every running sentinel names a node other than `oldPort`, the same one, and it says it is master. */
  waitForPrimaryChange(oldPort: number, timeoutMs?: number): Promise<DataNode>;
  /**
   * Waits for a quiet set: every running sentinel names the same primary, which says so and has every
   * other running data node as an online replica; every sentinel lists each replica (not down or
   * disconnected) and the other sentinels. After this a failover can start at once. After a failover
   * this takes about 10 s: the time the sentinels take to turn the old primary into a replica.
   */
  waitForSettled(timeoutMs?: number): Promise<void>;
  /** Waits until the primary's replicas have everything written to it so far (offsets, not WAIT). */
  waitForReplicasCaughtUp(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * One primary, `replicas` replicas and `sentinels` sentinels (quorum 2, down after 1 s, failover
 * timeout 5 s, parallel-syncs 1). Resolves when the replicas are in sync and every sentinel knows
 * every replica and the other sentinels, so that a failover can start at once.
 *
 * Data nodes run from a config file in their folder (rather than command-line settings): sentinel
 * rewrites it (CONFIG REWRITE) when it makes a node a replica, so a restarted node keeps the role
 * sentinel last gave it. A primary killed with kill() and started again with restart():
 * - after the sentinels failed it over, comes back as a master (its file says so) and stays one for
 *   about 10 s (sentinels wait 8 s before converting an instance that reports a role they disagree
 *   with), accepting writes that it then drops when it resyncs as a replica of the new primary.
 *   waitForSettled() waits until it is a replica in sync;
 * - before they judged it down (1 s), simply stays the primary: no failover happens.
 * The same 8 s wait applies to a primary demoted by SENTINEL FAILOVER (see failover()) and to one
 * resumed after a pause() long enough for a failover. Note too that a sentinel will not start
 * another failover of the same master for 2 x failover-timeout (10 s) after one it led.
 */
export async function startSentinelSet(options: SentinelSetOptions = {}): Promise<SentinelSet> {
  const replicaCount = options.replicas ?? 2;
  const sentinelCount = options.sentinels ?? 3;
  const masterName = options.masterName ?? 'lbmaster';
  const extraArgs = (index: number) => (typeof options.nodeArgs === 'function' ? options.nodeArgs(index) : (options.nodeArgs ?? []));

  const ports = await freePorts(1 + replicaCount + sentinelCount);
  const dataPorts = ports.slice(0, 1 + replicaCount);
  const sentinelPorts = ports.slice(1 + replicaCount);
  const firstPrimary = dataPorts[0];
  const { processes, dir: tempDir, stop } = started();

  try {
    const nodes = dataPorts.map((port, index) => {
      const dir = tempDir('sentinel-data');
      const conf = path.join(dir, 'redis.conf');
      const lines = [`port ${port}`, `dir ${dir}`, ...DATA_SETTINGS.map(([k, v]) => `${k} ${v}`), 'min-replicas-to-write 0'];
      if (index > 0) lines.push(`replicaof ${HOST} ${firstPrimary}`);
      writeFileSync(conf, lines.join('\n') + '\n');
      const p = redisProcess(`data node ${index}`, port, dir, () => [conf, ...extraArgs(index)]);
      processes.push(p);
      return { process: p, node: dataNode(p) };
    });
    // Replicas first, in sync before any sentinel looks: a sentinel discovers replicas from the
    // primary's INFO, which it asks at once on connecting and then only every 10 s.
    await Promise.all(nodes.map(({ process: p }) => p.start()));
    await waitFor(
      async () => {
        const replication = await info(firstPrimary, 'replication');
        if (Number(replication.connected_slaves) !== replicaCount) return false;
        return dataPorts.slice(1).every((port) => Object.values(replication).some((v) => v.includes(`port=${port},state=online`)));
      },
      `${replicaCount} replica(s) in sync with the primary`,
      15_000,
    );

    const sentinels = sentinelPorts.map((port, index) => {
      const dir = tempDir('sentinel');
      const conf = path.join(dir, 'sentinel.conf'); // sentinel rewrites it: it must be writable, one per sentinel
      writeFileSync(
        conf,
        [
          `port ${port}`,
          `bind ${HOST}`,
          `dir ${dir}`,
          'sentinel resolve-hostnames no',
          `sentinel monitor ${masterName} ${HOST} ${firstPrimary} 2`,
          `sentinel down-after-milliseconds ${masterName} 1000`,
          `sentinel failover-timeout ${masterName} 5000`,
          `sentinel parallel-syncs ${masterName} 1`,
        ].join('\n') + '\n',
      );
      const p = redisProcess(`sentinel ${index}`, port, dir, () => [conf, '--sentinel']);
      processes.push(p);
      return p;
    });
    await Promise.all(sentinels.map((s) => s.start()));

    const byPort = (port: number) => {
      const found = nodes.find(({ node }) => node.port === port);
      if (!found) throw new Error(`sentinels name 127.0.0.1:${port}, not a node of this set`);
      return found.node;
    };
    const running = () => sentinels.filter((s) => s.state() === 'running');
    const namedPrimary = async (sentinel: RedisProcess) => {
      const [, port] = await sentinel.call<[string, string]>('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', masterName);
      return Number(port);
    };
    const primary = async () => {
      let last: unknown;
      for (const sentinel of running()) {
        try {
          return byPort(await namedPrimary(sentinel));
        } catch (error) {
          last = error;
        }
      }
      throw new Error(`no sentinel names a primary: ${String(last)}`);
    };
    /** The port every running sentinel names, or undefined while they disagree. */
    const agreedPrimary = async () => {
      const named = new Set(await Promise.all(running().map(namedPrimary)));
      return named.size === 1 ? [...named][0] : undefined;
    };

    const waitForPrimaryChange = async (oldPort: number, timeoutMs = 15_000) => {
      const port = await waitFor(
        async () => {
          const agreed = await agreedPrimary();
          return agreed !== undefined && agreed !== oldPort && (await byPort(agreed).role()) === 'master' ? agreed : undefined;
        },
        `every sentinel to name a new primary instead of port ${oldPort}`,
        timeoutMs,
      );
      return byPort(port);
    };

    const waitForSettled = async (timeoutMs = 20_000) => {
      await waitFor(
        async () => {
          const port = await agreedPrimary();
          if (port === undefined || (await byPort(port).role()) !== 'master') return false;
          const replicaPorts = nodes
            .map(({ node }) => node)
            .filter((n) => n.port !== port && n.state() === 'running')
            .map((n) => n.port);
          const replication = await info(port, 'replication');
          if (!replicaPorts.every((p) => Object.values(replication).some((v) => v.includes(`port=${p},state=online`)))) return false;
          for (const sentinel of running()) {
            const known = (await sentinel.call<string[][]>('SENTINEL', 'REPLICAS', masterName)).map(pairs);
            // Not 'master-link-status': a sentinel refreshes it from the replica's INFO only every 10 s,
            // and a failover refreshes it every second anyway once the primary is judged down.
            const ok = replicaPorts.every((p) => known.some((r) => Number(r.port) === p && !/s_down|disconnected/.test(r.flags)));
            if (!ok) return false;
            const peers = (await sentinel.call<string[][]>('SENTINEL', 'SENTINELS', masterName)).map(pairs);
            if (peers.filter((s) => !/s_down|disconnected/.test(s.flags)).length < running().length - 1) return false;
          }
          return true;
        },
        'the sentinel set to settle (one primary, replicas online, every sentinel knowing them and its peers)',
        timeoutMs,
      );
    };

    await waitForSettled();

    return {
      masterName,
      url: `redis-sentinel://${sentinelPorts.map((p) => `${HOST}:${p}`).join(',')}/${masterName}`,
      sentinelPorts,
      sentinelAddresses: sentinelPorts.map((port) => ({ host: HOST, port })),
      nodes: nodes.map(({ node }) => node),
      sentinels,
      primary,
      failover: async (timeoutMs = 15_000) => {
        const old = await primary();
        // Refused (-INPROG) while a previous failover still reconfigures replicas: ask again.
        await waitFor(
          async () => (await running()[0].call('SENTINEL', 'FAILOVER', masterName)) === 'OK',
          'a sentinel to accept SENTINEL FAILOVER',
          timeoutMs,
        );
        return waitForPrimaryChange(old.port, timeoutMs);
      },
      waitForPrimaryChange,
      waitForSettled,
      waitForReplicasCaughtUp: async (timeoutMs = 5_000) => waitForCaughtUp((await primary()).port, timeoutMs),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------
// Cluster

export interface ClusterNode extends DataNode {
  /** The node id (kept in nodes.conf in its folder, so it survives restart()). */
  id: string;
  /** The role it was created with; role() says what it is now. */
  createdAs: 'master' | 'slave';
}

export interface ClusterOptions {
  /** @default 3 */
  masters?: number;
  /** @default 1 */
  replicasPerMaster?: number;
  /** Extra redis-server arguments for every node. */
  nodeArgs?: string[];
}

export interface TestCluster {
  /** redis-cluster://127.0.0.1:P1,127.0.0.1:P2,... (every node) */
  url: string;
  /** ioredis' Cluster startup nodes. */
  startupNodes: { host: string; port: number }[];
  /** Masters first (as created), then replicas. */
  nodes: ClusterNode[];
  /** The node that serves the key's slot, as a running node's CLUSTER SLOTS says. */
  masterForKey(key: string): Promise<ClusterNode>;
  /** Replicas of `master` in a running node's CLUSTER NODES, except those flagged fail. */
  replicasOf(master: ClusterNode): Promise<ClusterNode[]>;
  /** CLUSTER FAILOVER on `replica`; resolves when it is master and the cluster healthy (its old master, if running, a replica in sync). */
  failover(replica: ClusterNode, timeoutMs?: number): Promise<void>;
  /** Every running node says cluster_state:ok with all 16384 slots ok, and they agree on who serves which slot. */
  waitForHealthy(timeoutMs?: number): Promise<void>;
  /** Waits until every running master's replicas have everything written to it so far. */
  waitForReplicasCaughtUp(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

interface NodesLine {
  id: string;
  port: number;
  flags: string[];
  masterId: string;
}

function parseClusterNodes(text: string): NodesLine[] {
  return text
    .trim()
    .split('\n')
    .map((line) => {
      const [id, address, flags, masterId] = line.split(' ');
      return { id, port: Number(address.split('@')[0].split(':').pop()), flags: flags.split(','), masterId };
    });
}

/** Slot ranges and the port of the master serving each, from CLUSTER SLOTS, sorted. */
async function slotMap(port: number): Promise<[number, number, number][]> {
  const slots = await callPort<[number, number, [string, number, string], ...unknown[]][]>(port, 'CLUSTER', 'SLOTS');
  return slots.map(([start, end, master]) => [start, end, Number(master[1])] as [number, number, number]).sort((a, b) => a[0] - b[0]);
}

/**
 * `masters` masters sharing the 16384 slots evenly, each with `replicasPerMaster` replicas
 * (node timeout 1 s, so a dead master's replica takes over within a few seconds). Resolves when
 * the cluster is healthy as every node sees it and every replica is in sync. A killed node that is
 * restarted rejoins with its nodes.conf: a former master whose replica was promoted meanwhile comes
 * back as a replica of it at once (its peers tell it); one restarted before the others judged it failed
 * (1 s) is still the master of its slots.
 */
export async function startCluster(options: ClusterOptions = {}): Promise<TestCluster> {
  const masterCount = options.masters ?? 3;
  const perMaster = options.replicasPerMaster ?? 1;
  const count = masterCount * (1 + perMaster);
  // The cluster bus gets a port of its own (not port + 10000, which may be taken or past 65535).
  const ports = await freePorts(count * 2);
  const { processes, dir: tempDir, stop } = started();

  try {
    const created = ports.slice(0, count).map((port, index) => {
      const busPort = ports[count + index];
      const dir = tempDir('cluster');
      const args = [
        '--port',
        String(port),
        '--dir',
        dir,
        ...DATA_SETTINGS.flatMap(([k, v]) => [`--${k}`, v === '""' ? '' : v]),
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        'nodes.conf',
        '--cluster-node-timeout',
        '1000',
        '--cluster-port',
        String(busPort),
        ...(options.nodeArgs ?? []),
      ];
      const p = redisProcess(`cluster node ${index}`, port, dir, () => args);
      processes.push(p);
      return { process: p, busPort };
    });
    await Promise.all(created.map(({ process: p }) => p.start()));

    const nodes: ClusterNode[] = await Promise.all(
      created.map(async ({ process: p }, index) => ({
        ...dataNode(p),
        id: await p.call<string>('CLUSTER', 'MYID'),
        createdAs: index < masterCount ? ('master' as const) : ('slave' as const),
      })),
    );
    const masters = nodes.slice(0, masterCount);

    // Slots, and distinct config epochs (as redis-cli does) so that no epoch collision needs resolving.
    await Promise.all(
      masters.map(async (master, i) => {
        await master.call('CLUSTER', 'SET-CONFIG-EPOCH', i + 1);
        await master.call(
          'CLUSTER',
          'ADDSLOTSRANGE',
          Math.floor((i * SLOTS) / masterCount),
          Math.floor(((i + 1) * SLOTS) / masterCount) - 1,
        );
      }),
    );
    for (const node of nodes.slice(1)) await node.call('CLUSTER', 'MEET', HOST, nodes[0].port, created[0].busPort);
    await waitFor(
      async () => {
        for (const node of nodes) {
          const known = parseClusterNodes(await node.call<string>('CLUSTER', 'NODES'));
          if (known.length !== count || known.some((n) => n.flags.includes('handshake') || n.flags.includes('noaddr'))) return false;
        }
        return true;
      },
      `all ${count} cluster nodes to know each other`,
      15_000,
    );

    const replicaPlan = nodes.slice(masterCount).map((replica, j) => ({ replica, master: masters[Math.floor(j / perMaster)] }));
    for (const { replica, master } of replicaPlan) await replica.call('CLUSTER', 'REPLICATE', master.id);

    const byPort = (port: number) => {
      const found = nodes.find((n) => n.port === port);
      if (!found) throw new Error(`the cluster names 127.0.0.1:${port}, not one of its nodes`);
      return found;
    };
    const running = () => nodes.filter((n) => n.state() === 'running');
    const anyRunning = () => {
      const [first] = running();
      if (!first) throw new Error('no cluster node is running');
      return first;
    };

    const waitForHealthy = async (timeoutMs = 20_000) => {
      await waitFor(
        async () => {
          let reference: string | undefined;
          for (const node of running()) {
            const state = parseInfo(await node.call<string>('CLUSTER', 'INFO'));
            if (state.cluster_state !== 'ok' || Number(state.cluster_slots_ok) !== SLOTS) return false;
            const map = JSON.stringify(await slotMap(node.port));
            if (reference !== undefined && map !== reference) return false;
            reference = map;
          }
          return true;
        },
        'the cluster to be healthy as every running node sees it',
        timeoutMs,
      );
    };

    /** Every running replica is in sync with its master, and every running node sees it as that master's replica. */
    const waitForReplicasInSync = async (timeoutMs = 20_000) => {
      await waitFor(
        async () => {
          const views = await Promise.all(running().map(async (n) => parseClusterNodes(await n.call<string>('CLUSTER', 'NODES'))));
          for (const node of running()) {
            const [role, , masterPort, linkState] = await node.call<[string, string, number, string]>('ROLE');
            if (role !== 'slave') continue;
            if (linkState !== 'connected') return false;
            const master = byPort(Number(masterPort));
            const replication = await info(master.port, 'replication');
            if (!Object.values(replication).some((v) => v.includes(`port=${node.port},state=online`))) return false;
            if (!views.every((view) => view.some((l) => l.id === node.id && l.flags.includes('slave') && l.masterId === master.id)))
              return false;
          }
          return true;
        },
        'every replica to be in sync and known to every node as such',
        timeoutMs,
      );
    };

    await waitForHealthy();
    await waitForReplicasInSync();

    const masterForKey = async (key: string) => {
      const node = anyRunning();
      const slot = await node.call<number>('CLUSTER', 'KEYSLOT', key);
      const range = (await slotMap(node.port)).find(([start, end]) => start <= slot && slot <= end);
      if (!range) throw new Error(`no master serves slot ${slot} (of key ${key})`);
      return byPort(range[2]);
    };

    const replicasOf = async (master: ClusterNode) => {
      const asker = master.state() === 'running' ? master : anyRunning();
      const lines = parseClusterNodes(await asker.call<string>('CLUSTER', 'NODES'));
      return lines
        .filter((l) => l.masterId === master.id && l.flags.includes('slave') && !l.flags.includes('fail'))
        .map((l) => byPort(l.port));
    };

    const failover = async (replica: ClusterNode, timeoutMs = 20_000) => {
      const [role, , oldMasterPort] = await replica.call<[string, string, number]>('ROLE');
      if (role !== 'slave') throw new Error(`CLUSTER FAILOVER: node on port ${replica.port} is ${role}, not a replica`);
      const oldMaster = byPort(Number(oldMasterPort));
      await replica.call('CLUSTER', 'FAILOVER');
      await waitFor(async () => (await replica.role()) === 'master', `the replica on port ${replica.port} to become master`, timeoutMs);
      await waitForHealthy(timeoutMs);
      if (oldMaster.state() === 'running') {
        await waitFor(
          async () => (await oldMaster.role()) === 'slave',
          `the old master on port ${oldMaster.port} to become a replica`,
          timeoutMs,
        );
      }
      await waitForReplicasInSync(timeoutMs);
    };

    return {
      url: `redis-cluster://${nodes.map((n) => `${HOST}:${n.port}`).join(',')}`,
      startupNodes: nodes.map((n) => ({ host: HOST, port: n.port })),
      nodes,
      masterForKey,
      replicasOf,
      failover,
      waitForHealthy,
      waitForReplicasCaughtUp: async (timeoutMs = 5_000) => {
        const masters = [];
        for (const node of running()) if ((await node.role()) === 'master') masters.push(node);
        await Promise.all(masters.map((m) => waitForCaughtUp(m.port, timeoutMs)));
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
