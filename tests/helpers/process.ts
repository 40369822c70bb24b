/** Runs the real entry point (dist/server/main.js) as a child process, as `npm start` would. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { freePort } from '../../bench/servers';
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
  const answers = () => fetch(`${url}/healthz`).then((response) => response.ok, () => false);
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

/** Kills every process still running (call in afterAll). */
export function killAll(): void {
  for (const child of running) child.kill('SIGKILL');
}
