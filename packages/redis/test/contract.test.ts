import { systemClock, type FleetHost } from '@keel/core';
import { startRedisServer, type RedisServer } from '@keel/testing';
import { describeFleetContract, uniqueName } from '../../../test/fleet/contract/index.js';
import { redisFleet, type RedisFleetConnection } from '../src/index.js';
import { tcpHandles, until } from './support/host.js';

let server: RedisServer;
let baseline = 0;

beforeAll(async () => {
  server = await startRedisServer();
  baseline = tcpHandles();
});

afterAll(async () => {
  await server.stop();
});

// Real time: each scenario waits for real, in steps of at most 50 ms.
describeFleetContract(
  'redisFleet',
  () => {
    const service = uniqueName('contract');
    const connections = new Map<string, RedisFleetConnection>();
    return {
      clock: systemClock,
      provider: (replicaId) => {
        const provider = redisFleet({ url: server.url, service, replicaId, blockMs: 100 });
        return {
          kind: provider.kind,
          connect: async (host: FleetHost, signal: AbortSignal) => {
            const connection = await provider.connect(host, signal);
            connections.set(replicaId, connection);
            return connection;
          },
        };
      },
      advance: async (ms) => {
        const until = Date.now() + ms;
        // Bounded: ms / 20 steps at most.
        while (Date.now() < until) {
          await new Promise((r) => setTimeout(r, Math.min(20, Math.max(1, until - Date.now()))));
        }
      },
      kill: (replicaId) => connections.get(replicaId)?.destroy(),
      close: async () => {
        await until(() => tcpHandles() <= baseline, 2_000, 'every socket of the scenario closed');
      },
    };
  },
  {
    features: ['leases', 'membership', 'events'],
    timings: { ttlMs: 300, minIdleMs: 200, stepMs: 10, slackMs: 250 },
  },
);
