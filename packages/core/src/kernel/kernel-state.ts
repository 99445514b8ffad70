import type { KeelError } from '../errors/keel-error.js';
import { kernelStateError } from '../errors/catalog.js';
import { assertTransition, type KernelStatus } from '../work/module-status.js';
import type { KernelExitFailure } from './telemetry.js';

/** Why the kernel will exit non-zero, before the exit code is known. */
export type ExitFailure = Omit<KernelExitFailure, 'exitCode'>;

/** The only moves the kernel's phase may make (checked on every move). */
export const KERNEL_TRANSITIONS: Readonly<Record<KernelStatus, readonly KernelStatus[]>> = {
  created: ['starting', 'stopping'],
  starting: ['online', 'stopping'],
  online: ['stopping'],
  stopping: ['stopped'],
  stopped: [],
};

/** A kernel operation that the state machine drives. */
export type KernelOperation = 'start' | 'run' | 'runCommand' | 'manage' | 'restart' | 'shutdown';

/**
 * In which phases each operation acts (docs/architecture.md shows this table; a test checks
 * the two agree). Outside them: `start`, `run`, `runCommand` reject with `E_KERNEL_STATE`;
 * `restart` rejects with `E_KERNEL_STATE`; `manage` does nothing; `shutdown` in `stopping`
 * or `stopped` returns the shutdown already under way (or done).
 */
export const KERNEL_OPERATIONS: Readonly<Record<KernelOperation, readonly KernelStatus[]>> = {
  start: ['created'],
  run: ['created'],
  runCommand: ['created'],
  manage: ['online'],
  restart: ['online'],
  shutdown: ['created', 'starting', 'online'],
};

/**
 * A kernel's own state: its phase, its exit code, whether management is on and the
 * shutdown signal. Owned by the kernel's state machine; the core and the fleet read it.
 * `exitCode` becomes non-zero through `fail()` only (or the public setter).
 */
export class KernelState {
  private current: KernelStatus = 'created';
  private code = 0;
  /** Module management is on (`enableManagement()`). */
  managed = false;
  private readonly controller = new AbortController();
  private firstFailure: ExitFailure | undefined = undefined;

  constructor(
    private readonly onMove: (
      from: KernelStatus,
      to: KernelStatus,
      failure?: KernelExitFailure,
    ) => void,
  ) {}

  get phase(): KernelStatus {
    return this.current;
  }

  get exitCode(): number {
    return this.code;
  }

  /** The public setter (`kernel.exitCode = n`). */
  set exitCode(code: number) {
    this.code = code;
  }

  /** Aborted when shutdown begins. */
  get shuttingDown(): AbortSignal {
    return this.controller.signal;
  }

  /** Something failed: the exit code becomes 1 unless it is non-zero already. */
  fail(): void {
    this.code = this.code || 1;
  }

  /** Records why the kernel will exit non-zero (the first call wins), for its last log line. */
  failedWith(failure: ExitFailure): void {
    this.firstFailure ??= failure;
  }

  /** The failure recorded by {@link failedWith}, if any. */
  get exitFailure(): ExitFailure | undefined {
    return this.firstFailure;
  }

  /** Starts the shutdown: aborts `shuttingDown` with `reason`. */
  beginShutdown(reason: unknown): void {
    this.controller.abort(reason);
  }

  /**
   * Moves the phase as KERNEL_TRANSITIONS allows; E_ILLEGAL_TRANSITION otherwise. The move
   * to `stopped` of a kernel that exits non-zero carries why (`failure`).
   */
  move(to: KernelStatus, failure?: ExitFailure): void {
    assertTransition(KERNEL_TRANSITIONS, 'The kernel', this.current, to);
    const from = this.current;
    this.current = to;
    this.onMove(from, to, failure === undefined ? undefined : { exitCode: this.code, ...failure });
  }

  /** Whether `operation` acts in the current phase (KERNEL_OPERATIONS). */
  allows(operation: KernelOperation): boolean {
    return KERNEL_OPERATIONS[operation].includes(this.current);
  }

  /** `E_KERNEL_STATE` for an operation the current phase refuses. */
  refusal(operation: 'start' | 'run' | 'runCommand'): KeelError {
    return kernelStateError(
      `kernel.${operation}() was called while the kernel is ${this.current}; a kernel starts once. Create a new kernel to start again.`,
    );
  }
}
