/** Starting the service under test and the floor as processes of their own, and reading their memory. */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { PROJECT_ROOT } from '../server/assets';

export interface Target {
  name: 'liveblog' | 'bare';
  url: string;
  child: ChildProcess;
  /** Resident memory of the process, in bytes. */
  rss(): number;
  stop(): Promise<void>;
}

/** dist/, whether this runs bundled (dist/bench) or from source (bench/, in the smoke test). */
const DIST = path.join(PROJECT_ROOT, 'dist');

export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

async function launch(name: Target['name'], script: string, args: string[], env: Record<string, string>, port: number): Promise<Target> {
  const child = spawn(process.execPath, [script, ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}: ${stderr}`);
    const up = await fetch(`${url}/${name === 'bare' ? 'page' : 'healthz'}`).then(
      (response) => response.ok,
      () => false,
    );
    if (up) break;
    if (Date.now() > deadline) throw new Error(`${name} did not start`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    name,
    url,
    child,
    rss: () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))![1]) * 1024,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

export async function startLiveblog(options: {
  redisUrl: string;
  prefix: string;
  adminToken: string;
  /** More settings (the push bench allows its local push service). */
  env?: Record<string, string>;
}): Promise<Target> {
  const port = await freePort();
  return launch(
    'liveblog',
    path.join(DIST, 'server', 'main.js'),
    [],
    {
      PORT: String(port),
      HOST: '127.0.0.1',
      REDIS_URL: options.redisUrl,
      LIVEBLOG_REDIS_PREFIX: options.prefix,
      LIVEBLOG_ADMIN_TOKEN: options.adminToken,
      LIVEBLOG_DEMO: '0',
      LOG_LEVEL: 'warn',
      LIVEBLOG_EDITOR_WRITES_PER_MINUTE: '100000',
      // Every bench reader comes from 127.0.0.1.
      LIVEBLOG_IP_REQUESTS_PER_MINUTE: '10000000',
      LIVEBLOG_IP_CONNECTIONS_PER_MINUTE: '10000000',
      ...options.env,
    },
    port,
  );
}

export async function startBare(): Promise<Target> {
  const port = await freePort();
  return launch('bare', path.join(DIST, 'bench', 'bare-server.js'), [String(port)], {}, port);
}
