/**
 * A real S3-compatible server for the tests: s3rver (npm, runs on Node 20), on a free port, storing in a
 * fresh temporary folder, with one bucket made. Why s3rver: MinIO and LocalStack need Docker or a download
 * this machine cannot make, moto needs PyPI (docs/media-storage.md). It does not check signatures, so a
 * wrong secret would pass here: the SDK's signing is AWS's, not ours.
 *
 * It runs in a child process started with --openssl-legacy-provider: s3rver makes its list continuation
 * tokens with DES, which OpenSSL 3 only has in its legacy provider, so in this process every listing past
 * one page (1000 keys) failed with InternalError. The child also keeps s3rver's koa and winston out of
 * the test's process, and ends when the test process does (its stdin closes).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { MediaSettings } from '../../server/config';

export interface S3Server {
  endpoint: string;
  bucket: string;
  /** Settings for openMediaStorage / LIVEBLOG_MEDIA_S3_*: path style, s3rver's own fixed credentials. */
  settings: Extract<MediaSettings, { kind: 's3' }>;
  stop(): Promise<void>;
}

/** The child: starts s3rver on port 0, prints its port as one JSON line, stops when stdin ends. */
const CHILD = `
const S3rver = require('s3rver');
const [directory, bucket] = process.argv.slice(1);
const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: [{ name: bucket }] });
server.run().then(
  (address) => process.stdout.write(JSON.stringify({ port: address.port }) + '\\n'),
  (error) => { process.stderr.write(String(error && error.stack || error)); process.exit(1); },
);
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
`;

const START_DEADLINE_MS = 10_000;

export async function startS3(bucket = 'media'): Promise<S3Server> {
  const directory = await mkdtemp(path.join(tmpdir(), 's3rver-'));
  const child = spawn(process.execPath, ['--openssl-legacy-provider', '-e', CHILD, directory, bucket], {
    cwd: path.resolve(__dirname, '../..'),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let port: number;
  try {
    port = await childPort(child);
  } catch (error) {
    child.kill('SIGKILL');
    await rm(directory, { recursive: true, force: true });
    throw new Error(`s3rver could not start (the S3 tests need it): ${(error as Error).message}`, { cause: error });
  }
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    bucket,
    settings: {
      kind: 's3',
      bucket,
      endpoint,
      region: 'us-east-1',
      accessKeyId: 'S3RVER',
      secretAccessKey: 'S3RVER',
      forcePathStyle: true,
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = once(child, 'exit');
        child.stdin?.end();
        await exited;
      }
      await rm(directory, { recursive: true, force: true });
    },
  };
}

function childPort(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => reject(new Error(`no port within ${START_DEADLINE_MS} ms; stderr: ${stderr}`)), START_DEADLINE_MS);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code}; stderr: ${stderr}`));
    });
    createInterface({ input: child.stdout! }).once('line', (line) => {
      clearTimeout(timer);
      try {
        resolve((JSON.parse(line) as { port: number }).port);
      } catch (error) {
        reject(new Error(`unexpected first line ${JSON.stringify(line)}: ${(error as Error).message}`));
      }
    });
  });
}
