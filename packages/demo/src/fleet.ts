import { bullmqFleet } from '@keel/bullmq';
import type { FleetProvider } from '@keel/core';

/** How the demo joins a fleet. */
export interface DemoFleet {
  /** The provider; `undefined` is the kernel's default, a fleet of one. */
  readonly fleet: FleetProvider | undefined;
  /** One line for the console. */
  readonly note: string;
}

/**
 * `DEMO_REDIS_URL` unset: a fleet of one (no Redis needed). Set: a replica of the service
 * `keel-demo` on that Redis through `bullmqFleet` (membership, singleton leases and fleet
 * events on Redis, the job queue and the fleet task on BullMQ); `DEMO_REPLICA_ID` names it.
 * Read from the environment before the kernel exists, as the fleet is a `Kernel.create` option.
 */
export function demoFleet(env: NodeJS.ProcessEnv): DemoFleet {
  const url = env['DEMO_REDIS_URL'];
  if (url === undefined || url === '') {
    return { fleet: undefined, note: 'Fleet: one replica (set DEMO_REDIS_URL for more)' };
  }
  const replicaId = env['DEMO_REPLICA_ID'];
  const fleet = bullmqFleet({
    url,
    service: 'keel-demo',
    leaseTtl: '10s',
    ...(replicaId === undefined || replicaId === '' ? {} : { replicaId }),
  });
  return { fleet, note: `Fleet: replica ${fleet.replicaId} of "keel-demo" on Redis` };
}
