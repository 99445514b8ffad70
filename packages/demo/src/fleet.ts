import type { FleetProvider, ModuleRef } from '@keel/core';
import { redisFleet } from '@keel/redis';
import { Reports } from './modules/reports.js';

/** How the demo joins a fleet. */
export interface DemoFleet {
  /** The provider; `undefined` is the kernel's default, a fleet of one. */
  readonly fleet: FleetProvider | undefined;
  /** Modules to leave out because this fleet cannot run them. */
  readonly without: readonly ModuleRef[];
  /** One line for the console. */
  readonly note: string;
}

/**
 * `DEMO_REDIS_URL` unset: a fleet of one (no Redis needed). Set: replicas of the service
 * `keel-demo` on that Redis (`DEMO_REPLICA_ID` names this one). `redisFleet` has no job
 * queues or fleet tasks (they come with `@keel/bullmq`), so `Reports` is left out there.
 */
export function demoFleet(env: NodeJS.ProcessEnv): DemoFleet {
  const url = env['DEMO_REDIS_URL'];
  if (url === undefined || url === '') {
    return {
      fleet: undefined,
      without: [],
      note: 'Fleet: one replica (set DEMO_REDIS_URL for more)',
    };
  }
  const replicaId = env['DEMO_REPLICA_ID'];
  const fleet = redisFleet({
    url,
    service: 'keel-demo',
    leaseTtl: '10s',
    ...(replicaId === undefined || replicaId === '' ? {} : { replicaId }),
  });
  return {
    fleet,
    without: [Reports],
    note:
      `Fleet: replica ${fleet.replicaId} of "keel-demo" on Redis ` +
      '(Reports left out: its job queue and fleet task need @keel/bullmq)',
  };
}
