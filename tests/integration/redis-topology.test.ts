/**
 * The Redis topology harness (tests/helpers/redis-topology.ts) works with ioredis as the service uses
 * it: a Sentinel client follows its primary through a crash, a Cluster client follows a slot to the
 * replica promoted in place of its killed master. Neither loses an acknowledged, replicated write.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { Redis, Cluster } from 'ioredis';
import { startCluster, startSentinelSet, type SentinelSet, type TestCluster } from '../helpers/redis-topology';
import { waitFor } from '../helpers/wait';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('Sentinel set', () => {
  it('an ioredis Sentinel client reads and writes on the new primary after the old one is killed', async () => {
    const set: SentinelSet = await startSentinelSet();
    cleanups.push(() => set.stop());
    const redis = new Redis({
      sentinels: set.sentinelAddresses,
      name: set.masterName,
      maxRetriesPerRequest: 1,
      retryStrategy: () => 100,
    });
    redis.on('error', () => {}); // connection refused while the primary is dead: the commands below say what matters
    cleanups.push(() => redis.disconnect());

    const old = await set.primary();
    expect(old).toBe(set.nodes[0]);
    expect(await set.nodes[1].role()).toBe('slave');
    await redis.set('topology:before', 'kept');
    expect(await redis.call('WAIT', 2, 1000)).toBe(2); // on both replicas before the crash

    await old.kill();
    const killedAt = Date.now();
    const next = await set.waitForPrimaryChange(old.port, 15_000);
    const promotedAfter = Date.now() - killedAt;
    await waitFor(
      () =>
        redis.set('topology:after', 'written').then(
          (ok) => ok === 'OK',
          () => false,
        ),
      'a write through the same client',
      10_000,
    );
    const writableAfter = Date.now() - killedAt;
    console.log(
      `Sentinel: primary killed; sentinels named a new one after ${promotedAfter} ms, the client wrote again after ${writableAfter} ms`,
    );

    expect(next.port).not.toBe(old.port);
    expect(await next.role()).toBe('master');
    expect(await redis.get('topology:before')).toBe('kept');
    expect(await next.call('GET', 'topology:after')).toBe('written');
  }, 30_000);
});

describe('Cluster', () => {
  it('an ioredis Cluster client reads and writes a key whose master was killed, on the promoted replica', async () => {
    const cluster: TestCluster = await startCluster();
    cleanups.push(() => cluster.stop());
    const client = new Cluster(cluster.startupNodes, { redisOptions: { maxRetriesPerRequest: 1 } });
    client.on('error', () => {}); // a dead master's connection errors while the cluster heals
    cleanups.push(() => client.disconnect());

    const keys = ['{blogA}:k', '{blogB}:k', '{blogC}:k', '{blogD}:k', '{blogE}:k', '{blogF}:k'];
    for (const key of keys) await client.set(key, `value of ${key}`);
    const masters = new Set(await Promise.all(keys.map(async (key) => (await cluster.masterForKey(key)).port)));
    expect(masters.size).toBeGreaterThan(1); // the keys really are spread over several masters
    await cluster.waitForReplicasCaughtUp();

    const victimKey = keys[0];
    const master = await cluster.masterForKey(victimKey);
    const [replica] = await cluster.replicasOf(master);
    expect(replica).toBeDefined();
    await master.kill();
    const killedAt = Date.now();
    await waitFor(async () => (await replica.role()) === 'master', 'the replica to be promoted', 15_000);
    await cluster.waitForHealthy(15_000);
    console.log(`Cluster: master killed; its replica was promoted and the cluster healthy after ${Date.now() - killedAt} ms`);

    expect((await cluster.masterForKey(victimKey)).port).toBe(replica.port);
    for (const key of keys) expect(await client.get(key)).toBe(`value of ${key}`);
    expect(await client.set(victimKey, 'after the failover')).toBe('OK');
    expect(await replica.call('GET', victimKey)).toBe('after the failover');

    // The killed master comes back with its folder and rejoins as a replica of the node that replaced it.
    await master.restart();
    await waitFor(
      async () => (await master.role()) === 'slave' && (await cluster.replicasOf(replica)).includes(master),
      'the old master to rejoin as a replica of the promoted one',
      15_000,
    );
  }, 30_000);
});
