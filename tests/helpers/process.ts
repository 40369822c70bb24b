/** Runs the real entry point (dist/server/main.js) as a child process, as `npm start` would. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { freePort } from '../../bench/servers';
import { ADMIN_TOKEN } from './app';
import { waitFor } from './wait';

const MAIN = path.resolve(__dirname, '../../dist/server/main.js');

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  port: number;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code. */
  exit: Promise<number | null>;
  kill(signal?: NodeJS.Signals): void;
}

/**
 * Every child process the tests of this jest worker started (service processes, redis-servers), shared
 * by every test file's copy of these helpers (jest gives each file its own modules, not its own process).
 * killAll() ends them; so does the worker's end, even by the SIGTERM jest sends a worker that will not
 * finish (which runs no 'exit' handler): a timed-out test must not leave servers running for the rest
 * of the suite, as a Cluster case once left nine redis-servers and two services.
 */
const REGISTRY = Symbol.for('liveblog.tests.children');
const registry = globalThis as typeof globalThis & { [REGISTRY]?: Set<ChildProcess> };
const running = (registry[REGISTRY] ??= (() => {
  const children = new Set<ChildProcess>();
  const reap = () => {
    for (const child of children) child.kill('SIGKILL');
  };
  process.once('exit', reap);
  process.once('SIGTERM', () => {
    reap();
    process.exit(143);
  });
  return children;
})());

/** Registers a child for killAll() and the worker's end. */
export function track(child: ChildProcess): void {
  running.add(child);
  child.once('exit', () => running.delete(child));
}

export { freePort };

export async function startProcess(env: Record<string, string>, options: { port?: number } = {}): Promise<ServerProcess> {
  const port = options.port ?? (await freePort());
  const child = spawn(process.execPath, [MAIN], {
    // As `npm start` runs it (package.json): glibc's malloc arenas kept to two.
    env: { PATH: process.env.PATH, HOST: '127.0.0.1', PORT: String(port), MALLOC_ARENA_MAX: '2', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  track(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => (stdout += chunk));
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  const answers = () =>
    fetch(`${url}/healthz`).then(
      (response) => response.ok,
      () => false,
    );
  await waitFor(async () => child.exitCode !== null || (await answers()), 'the server to answer /healthz', 15_000);
  if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}: ${stderr}`);
  return {
    child,
    url,
    port,
    stdout: () => stdout,
    stderr: () => stderr,
    exit,
    kill: (signal = 'SIGTERM') => child.kill(signal),
  };
}

/**
 * The environment of a service process under test: its Redis and prefix, the test admin token, no demo,
 * quiet logs, and limits out of the way (every test client is 127.0.0.1 with one token: the limits are
 * their own tests' business). `extra` adds or overrides settings.
 */
export function serviceEnv(
  redisUrl: string,
  prefix: string,
  minReplicas?: number,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    REDIS_URL: redisUrl,
    LIVEBLOG_REDIS_PREFIX: prefix,
    LIVEBLOG_ADMIN_TOKEN: ADMIN_TOKEN,
    LIVEBLOG_DEMO: '0',
    LOG_LEVEL: 'warn',
    LIVEBLOG_EDITOR_WRITES_PER_MINUTE: '100000',
    LIVEBLOG_IP_REQUESTS_PER_MINUTE: '1000000',
    LIVEBLOG_IP_CONNECTIONS_PER_MINUTE: '1000000',
    ...(minReplicas === undefined ? {} : { LIVEBLOG_MIN_REPLICAS: String(minReplicas) }),
    ...extra,
  };
}

/** Kills every process still running, redis-servers included (call in afterAll, before any graceful stop). */
export function killAll(): void {
  for (const child of running) child.kill('SIGKILL');
}
