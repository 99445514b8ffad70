import { declarationOptionError } from '../errors/catalog.js';
import type { HookOptions } from '../decorators/metadata.js';
import { toMs } from '../time/duration.js';

/** A fleet hook's delivery settings, in milliseconds. */
export interface FleetHookPlan {
  readonly mode: 'all' | 'one';
  readonly maxDeliveries: number;
  readonly minIdleMs: number;
}

/**
 * Checks `@OnEvent` options; returns the fleet plan of a fleet hook, undefined for a local
 * one. Throws `E_INVALID_OPTION` naming the hook.
 */
export function validateHookOptions(
  where: string,
  options: HookOptions,
): FleetHookPlan | undefined {
  if (options === null || typeof options !== 'object') {
    throw declarationOptionError(where, 'options', 'options must be an object.');
  }
  const { fleet, maxDeliveries, minIdle } = options;
  if (fleet === undefined) {
    if (maxDeliveries !== undefined || minIdle !== undefined) {
      throw declarationOptionError(
        where,
        'maxDeliveries',
        `maxDeliveries and minIdle only apply to fleet: 'one' hooks.`,
      );
    }
    return undefined;
  }
  if (fleet !== 'all' && fleet !== 'one') {
    throw declarationOptionError(
      where,
      'fleet',
      `fleet must be 'all' or 'one', got ${String(fleet)}.`,
    );
  }
  if (fleet === 'all' && (maxDeliveries !== undefined || minIdle !== undefined)) {
    throw declarationOptionError(
      where,
      'maxDeliveries',
      `maxDeliveries and minIdle only apply to fleet: 'one' hooks.`,
    );
  }
  if (
    maxDeliveries !== undefined &&
    (typeof maxDeliveries !== 'number' ||
      !Number.isInteger(maxDeliveries) ||
      maxDeliveries < 1 ||
      maxDeliveries > 1_000)
  ) {
    throw declarationOptionError(
      where,
      'maxDeliveries',
      `maxDeliveries must be a whole number from 1 to 1000, got ${String(maxDeliveries)}.`,
    );
  }
  return {
    mode: fleet,
    maxDeliveries: maxDeliveries ?? 5,
    minIdleMs: minIdle === undefined ? 30_000 : toMs(minIdle, `${where} minIdle`),
  };
}
