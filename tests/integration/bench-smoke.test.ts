/** The bench itself works: a tiny run of every measurement, checking the counts (never the times). */
import { describe, expect, it } from '@jest/globals';
import { formatResults, runBench, SMOKE } from '../../bench/run';
import { TEST_REDIS_URL } from '../helpers/redis';

describe('npm run bench, tiny', () => {
  it('measures fan-out, page loads, memory, a reconnect storm and two processes, with every delivery made once', async () => {
    const results = await runBench({ ...SMOKE, redisUrl: TEST_REDIS_URL }, () => {});
    const [row] = results.fanOut;
    for (const side of [row.liveblog, row.bare]) {
      expect(side.delivered).toBe(side.expected);
      expect(side.duplicated).toBe(0);
      expect(side.latencyMs.p99).toBeGreaterThan(0);
    }
    expect(results.pageLoads.liveblog.requestsPerSecond).toBeGreaterThan(0);
    expect(results.pageLoads.liveblog.errors).toBe(0);
    for (const storm of [results.storm.warm, results.storm.cold]) {
      if ('failed' in storm) throw new Error(storm.failed);
      expect(storm).toMatchObject({ readers: SMOKE.stormReaders, missed: 0, duplicated: 0, outOfOrder: 0 });
      // Counted on the shared Redis, where other suites run meanwhile: only its presence is checked here.
      expect(storm.redisCommands).toEqual(expect.any(Number));
    }
    expect(results.capacity[0]).toMatchObject({ readers: SMOKE.capacitySteps[0], delivered: results.capacity[0].expected });
    expect(results.twoProcesses.delivered).toBe(results.twoProcesses.expected);
    expect(results.twoProcesses.duplicated).toBe(0);
    expect(results.soak).toMatchObject({ lost: 0, duplicated: 0, outOfOrder: 0 });
    expect(results.soak.delivered).toBe(results.soak.events * SMOKE.soakReaders);
    expect(results.soak.operations.deleted).toBeGreaterThan(0);
    expect(formatResults(results)).toContain('| fan-out p50 / p99 / max');
  }, 120_000);
});
