import { toMs } from '@keel/core';
import type { Environment } from './environment.js';

/** The demo's settings, read from environment variables by `Config.prep()`. */
export interface Settings {
  /** `DEMO_HOST`, default `127.0.0.1`. */
  readonly host: string;
  /** `DEMO_PORT`, default 0: any free port (the bound URL is logged). */
  readonly port: number;
  /** `DEMO_MAX_ITEMS`, default 100. */
  readonly maxItems: number;
  /** `DEMO_ITEM_TTL`, a duration, default `5m`: the janitor removes older items. */
  readonly itemTtlMs: number;
  /** `DEMO_TICK`, a duration, default `3s`: the ticker's period. */
  readonly tickMs: number;
  /** `DEMO_SLOW_STOP_MS`, default 0: extra time the HTTP module takes to stop. */
  readonly slowStopMs: number;
}

/** Reads and checks the settings; the error names the variable and the fix. */
export function readSettings(env: Environment): Settings {
  return Object.freeze({
    host: env.get('DEMO_HOST') ?? '127.0.0.1',
    port: integer(env, 'DEMO_PORT', 0, 0, 65_535),
    maxItems: integer(env, 'DEMO_MAX_ITEMS', 100, 0, 1_000_000),
    itemTtlMs: duration(env, 'DEMO_ITEM_TTL', '5m'),
    tickMs: duration(env, 'DEMO_TICK', '3s'),
    slowStopMs: integer(env, 'DEMO_SLOW_STOP_MS', 0, 0, 600_000),
  });
}

function integer(
  env: Environment,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const raw = env.get(name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(
      `${name}=${JSON.stringify(raw)} is invalid: use a whole number from ${min} to ${max}.`,
    );
  }
  return value;
}

function duration(env: Environment, name: string, fallback: string): number {
  const raw = env.get(name) ?? fallback;
  // toMs throws a KeelError E_INVALID_DURATION that names the variable.
  const ms = toMs(/^\d+$/.test(raw) ? Number(raw) : raw, name);
  if (ms === 0)
    throw new Error(`${name}=${JSON.stringify(raw)} is invalid: use a duration above 0.`);
  return ms;
}
