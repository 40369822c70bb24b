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

const running = new Set<ChildProcess>();

export { freePort };

export async function startProcess(env: Record<string, string>, options: { port?: number } = {}): Promise<ServerProcess> {
  const port = options.port ?? (await freePort());
  const child = spawn(process.execPath, [MAIN], {
    env: { PATH: process.env.PATH, HOST: '127.0.0.1', PORT: String(port), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => (stdout += chunk));
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const exit = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      running.delete(child);
      resolve(code);
    }),
  );
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

/** Kills every process still running (call in afterAll). */
export function killAll(): void {
  for (const child of running) child.kill('SIGKILL');
}
