/**
 * A redis-server of the test's own, on a free port, for faults the machine's shared Redis must never
 * suffer: frozen (SIGSTOP), killed, restarted. With `persistent`, it keeps an append-only file in a
 * temporary folder, so a restart keeps the data, as a production Redis with AOF would.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './process';
import { waitFor } from './wait';

export interface RedisServer {
  port: number;
  url: string;
  /** Freezes the server: connections stay open, nothing is answered. */
  pause(): void;
  resume(): void;
  /** SIGKILL, as a crash would. */
  kill(): Promise<void>;
  /** Starts it again on the same port and folder. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function startRedisServer(options: { persistent?: boolean } = {}): Promise<RedisServer> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), 'liveblog-redis-'));
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess;
  let paused = false;

  const launch = async () => {
    const args = [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--dir',
      dir,
      '--appendonly',
      options.persistent ? 'yes' : 'no',
    ];
    if (options.persistent) args.push('--appendfsync', 'always');
    child = spawn('redis-server', args, { stdio: 'ignore' });
    child.on('error', (error) => {
      throw new Error(`could not start redis-server (install Debian's redis-server): ${error.message}`);
    });
    await waitFor(
      async () => {
        const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
        probe.on('error', () => {}); // not up yet: waitFor asks again
        try {
          await probe.connect();
          return (await probe.ping()) === 'PONG';
        } finally {
          probe.disconnect();
        }
      },
      `redis-server on port ${port}`,
      10_000,
    );
  };
  const exited = () =>
    new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode ? resolve() : child.once('exit', () => resolve())));

  await launch();
  return {
    port,
    url,
    pause: () => {
      if (!paused) child.kill('SIGSTOP');
      paused = true;
    },
    resume: () => {
      if (paused) child.kill('SIGCONT');
      paused = false;
    },
    kill: async () => {
      child.kill('SIGKILL');
      await exited();
    },
    restart: async () => {
      await launch();
    },
    stop: async () => {
      if (paused) child.kill('SIGCONT');
      child.kill('SIGKILL');
      await exited();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
