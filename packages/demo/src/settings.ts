import { Config } from '@keel/config';
import { toMs } from '@keel/core';
import { z } from 'zod';

/** A duration as the demo takes it: `'5m'`, `'3s'`, or a number of milliseconds as digits. */
function durationMs(text: string): number {
  return toMs(/^\d+$/.test(text) ? Number(text) : text, 'a demo setting');
}

const duration = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .refine(
      (text) => {
        try {
          return durationMs(text) > 0;
        } catch {
          return false;
        }
      },
      { message: "use a duration above 0, e.g. '250ms', '3s', '5m'" },
    )
    .describe(`a duration, default ${fallback}`);

/**
 * The demo's configuration section: environment variables `DEMO_*` (or flags `--demo-*`),
 * checked with every other section at `Kernel.create`.
 */
export const DemoConfig = Config.define('demo', {
  prefix: 'DEMO_',
  schema: z.object({
    host: z.string().min(1).default('127.0.0.1').describe('interface to listen on'),
    port: z.number().int().min(0).max(65_535).default(0).describe('0: any free port'),
    maxItems: z.number().int().min(0).max(1_000_000).default(100).describe('storage limit'),
    itemTtl: duration('5m'),
    tick: duration('3s'),
    slowStopMs: z.number().int().min(0).max(600_000).default(0).describe('extra stop time'),
  }),
});

/**
 * The inspector's settings, `DEMO_INSPECTOR_PORT` (default 7117; 0: any free port) and
 * `DEMO_INSPECTOR_TOKEN` (16+ characters; without it the page is read-only), a secret.
 */
export const InspectorConfig = Config.define('inspector', {
  prefix: 'DEMO_INSPECTOR_',
  schema: z.object({
    port: z.number().int().min(0).max(65_535).default(7117),
    token: z.string().min(16).optional(),
  }),
  secret: ['token'],
});

/** The demo's settings, as its modules use them (durations in milliseconds). */
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

/** The section's validated value as {@link Settings}. */
export function toSettings(value: {
  readonly host: string;
  readonly port: number;
  readonly maxItems: number;
  readonly itemTtl: string;
  readonly tick: string;
  readonly slowStopMs: number;
}): Settings {
  return Object.freeze({
    host: value.host,
    port: value.port,
    maxItems: value.maxItems,
    itemTtlMs: durationMs(value.itemTtl),
    tickMs: durationMs(value.tick),
    slowStopMs: value.slowStopMs,
  });
}
