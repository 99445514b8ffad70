import { KeelError, type InjectionToken } from '@keel/core';

/** Settings of the {@link Inspector}, passed with `Inspector.configure()`. */
export interface InspectorOptions {
  /** Interface to bind. Default `127.0.0.1`: loopback only. */
  host?: string;
  /** TCP port; `0` picks a free one (read it back from `inspector.url`). Default 7117. */
  port?: number;
  /**
   * Bearer token that unlocks mutating requests (enable/disable a module). Without it the
   * inspector is read-only. At least 16 characters.
   */
  token?: string;
  /**
   * Extra `Host` header values accepted while bound to loopback (e.g. a reverse proxy's
   * name). Loopback names are always accepted; other hosts are refused to stop DNS rebinding.
   */
  allowedHosts?: string[];
}

/** Options after validation and defaults. */
export interface ResolvedInspectorOptions {
  readonly host: string;
  readonly port: number;
  readonly token: string | undefined;
  readonly allowedHosts: readonly string[];
}

/**
 * The injection token under which `Inspector.configure()` registers its options.
 * `Symbol.for` so two copies of this package in one process agree on it.
 */
export const INSPECTOR_OPTIONS: InjectionToken<InspectorOptions> =
  Symbol.for('@keel/inspector:options');

/** The port used when none is configured. */
export const DEFAULT_PORT = 7117;

/** Shortest accepted token: anything shorter is guessable. */
export const MIN_TOKEN_LENGTH = 16;

const KNOWN = new Set(['host', 'port', 'token', 'allowedHosts']);

/** Validates inspector options, naming the bad one; fills in the defaults. */
export function resolveInspectorOptions(raw: unknown): ResolvedInspectorOptions {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw invalid(`options must be an object, got ${describe(raw)}.`);
  }
  const options = raw as Record<string, unknown>;
  for (const key of Object.keys(options)) {
    if (!KNOWN.has(key)) {
      throw invalid(`unknown option "${key}"; known: ${[...KNOWN].join(', ')}.`);
    }
  }
  const { host = '127.0.0.1', port = DEFAULT_PORT, token, allowedHosts = [] } = options;
  if (typeof host !== 'string' || host.trim() === '') {
    throw invalid(`"host" must be a non-empty string, got ${describe(host)}.`);
  }
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw invalid(`"port" must be an integer from 0 to 65535, got ${describe(port)}.`);
  }
  if (token !== undefined && (typeof token !== 'string' || token.length < MIN_TOKEN_LENGTH)) {
    throw invalid(
      `"token" must be a string of at least ${MIN_TOKEN_LENGTH} characters (got ${
        typeof token === 'string' ? `${token.length} characters` : describe(token)
      }). Generate one with: node -e "console.log(crypto.randomBytes(24).toString('base64url'))"`,
    );
  }
  if (!Array.isArray(allowedHosts) || allowedHosts.some((h) => typeof h !== 'string')) {
    throw invalid(`"allowedHosts" must be an array of strings, got ${describe(allowedHosts)}.`);
  }
  return Object.freeze({
    host,
    port,
    token,
    allowedHosts: Object.freeze((allowedHosts as string[]).map((h) => h.toLowerCase())),
  });
}

function invalid(message: string): KeelError {
  return new KeelError('E_INVALID_OPTION', `Inspector.configure: ${message}`);
}

function describe(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
    case 'boolean':
    case 'bigint':
    case 'undefined':
      return String(value);
    case 'symbol':
    case 'function':
      return `a ${typeof value}`;
    case 'object':
      if (value === null) return 'null';
      return Array.isArray(value) ? 'an array' : 'an object';
  }
}
