import type { FleetConnectionSnapshot } from '../../specs/fleet-provider.js';
import type { EventHub } from './events.js';
import type { JobHub } from './jobs.js';
import type { Leases } from './leases.js';
import type { ReplicaLink } from './link.js';
import type { Membership } from './membership.js';
import type { TaskHub } from './tasks.js';

/** What a connection reaches of its in-memory fleet (the hub implements it). */
export interface FleetState {
  readonly service: string;
  readonly membership: Membership;
  readonly leases: Leases;
  readonly events: EventHub;
  readonly jobs: JobHub;
  readonly tasks: TaskHub;
  snapshot(): FleetConnectionSnapshot;
  /** A connection closed: its replica leaves the fleet. */
  disconnect(link: ReplicaLink): void;
}
