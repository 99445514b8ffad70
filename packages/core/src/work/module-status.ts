import { KeelError } from '../errors/keel-error.js';

/** A module's lifecycle state. */
export const ModuleStatus = {
  Dead: 'dead',
  Preparing: 'preparing',
  Offline: 'offline',
  Starting: 'starting',
  Online: 'online',
  Stopping: 'stopping',
} as const;

/** A module's lifecycle state, as a string. */
export type ModuleStatus = (typeof ModuleStatus)[keyof typeof ModuleStatus];

/**
 * The only moves a module may make. A failed prep leaves the module dead, a failed start
 * goes back to offline (after its work is stopped), so it may be started again later.
 */
export const MODULE_TRANSITIONS: Readonly<Record<ModuleStatus, readonly ModuleStatus[]>> = {
  dead: ['preparing'],
  preparing: ['offline', 'dead'],
  offline: ['starting'],
  starting: ['online', 'stopping'],
  online: ['stopping'],
  stopping: ['offline'],
};

/**
 * {@link MODULE_TRANSITIONS} as comparisons: every module moves six times per boot and
 * shutdown, and a load keyed by status misses V8's caches when thousands of modules move.
 * A test keeps the two in step.
 */
export function moduleMoveAllowed(from: ModuleStatus, to: ModuleStatus): boolean {
  switch (from) {
    case 'dead':
      return to === 'preparing';
    case 'preparing':
      return to === 'offline' || to === 'dead';
    case 'offline':
      return to === 'starting';
    case 'starting':
      return to === 'online' || to === 'stopping';
    case 'online':
      return to === 'stopping';
    case 'stopping':
      return to === 'offline';
  }
}

/** The kernel's own phase. */
export type KernelStatus = 'created' | 'starting' | 'online' | 'stopping' | 'stopped';

/** Checks a move against a transition table. */
export function assertTransition<S extends string>(
  table: Readonly<Record<S, readonly S[]>>,
  what: string,
  from: S,
  to: S,
): void {
  if (!table[from].includes(to)) {
    throw new KeelError('E_ILLEGAL_TRANSITION', `${what} cannot move from "${from}" to "${to}".`, {
      details: { from, to },
    });
  }
}
