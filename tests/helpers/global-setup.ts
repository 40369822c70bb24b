/** Runs once before every suite: the tests need a real Redis and say so plainly when it is missing. */
import { Redis } from 'ioredis';
import { existsSync } from 'node:fs';
import { TEST_REDIS_URL } from './redis';

export default async function globalSetup(): Promise<void> {
  const redis = new Redis(TEST_REDIS_URL, { lazyConnect: true, connectTimeout: 2000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => {}); // reported by the throw below
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    throw new Error(
      `Redis does not answer at ${TEST_REDIS_URL} (${(error as Error).message}). The tests use a real Redis and never skip: ` +
        'start one (`redis-server --daemonize yes --save ""`) or run `bash .ci/run`, which does.',
    );
  } finally {
    redis.disconnect();
  }
  if (!existsSync('dist/public/reader.js')) {
    throw new Error('dist/public is missing: run `npm test` (which builds first) or `npm run build`.');
  }
}
