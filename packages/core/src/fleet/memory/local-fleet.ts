import { KeelError } from '../../errors/keel-error.js';
import type { FleetProvider } from '../../specs/fleet-provider.js';
import { MemoryFleet } from './hub.js';

/** Options of {@link localFleet}. */
export interface LocalFleetOptions {
  /** Shown as the service name; default `'local'`. */
  readonly service?: string;
  /** This replica's id; default host name, pid and a random suffix. */
  readonly replicaId?: string;
}

/**
 * Six hex digits that tell apart kernels of one process (or a reused pid). Not a secret, so
 * Math.random: node:crypto would add ~10 ms (its streams and ciphers) to every import.
 */
function randomSuffix(): string {
  return Math.floor(Math.random() * 0x1000000)
    .toString(16)
    .padStart(6, '0');
}

/**
 * `os.hostname()`, with `node:os` taken from Node's own cache when needed: an ESM import of
 * a builtin at the top builds its facade at `import('@keel/core')`.
 */
function hostname(): string {
  return process.getBuiltinModule('node:os').hostname();
}

/**
 * The fleet of one: the kernel's provider when no `fleet` option is given. The only
 * replica holds every lease (singletons are active, first token 1); fleet events, jobs
 * (retries and backoff on the kernel clock) and `fleet: 'once'` tasks run in this process.
 * Nothing is durable: queued jobs and pending events end with the process.
 */
export function localFleet(options: LocalFleetOptions = {}): FleetProvider {
  const replicaId = options.replicaId ?? `${hostname()}-${process.pid}-${randomSuffix()}`;
  if (typeof replicaId !== 'string' || replicaId === '') {
    throw new KeelError(
      'E_INVALID_OPTION',
      `localFleet({ replicaId }): replicaId must be a non-empty string, got ${String(replicaId)}.`,
      { details: { option: 'replicaId' } },
    );
  }
  return {
    kind: 'local',
    alone: true,
    connect(host, signal) {
      // Made here, from the kernel's clock, so two kernels never share a fleet.
      const hub = new MemoryFleet({
        clock: host.clock,
        kind: 'local',
        service: options.service ?? 'local',
      });
      return hub.provider(replicaId).connect(host, signal);
    },
  };
}
