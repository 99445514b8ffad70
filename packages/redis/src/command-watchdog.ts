import type { Clock } from '@keel/core';
import { Redis, type Command, type RedisOptions } from 'ioredis';

/** ioredis' message for a command past its `commandTimeout`, kept so callers see the same. */
export const COMMAND_TIMED_OUT = 'Command timed out';

/** Compact the in-flight list once this many answered entries sit before its head. */
const COMPACT_AT = 1024;
/** Fewest entries behind the head before they are swept for answered ones. */
const SWEEP_MIN = 256;

/**
 * Fails a client's commands that wait longer than `timeoutMs` for their reply, with one
 * timer per client instead of ioredis' one timer per command (`commandTimeout` arms and
 * clears a `setTimeout` for every command: ~3 µs each on a busy producer). Commands are
 * kept in send order with their deadlines; as the timeout is the same for all, deadlines
 * only grow, so the timer only ever waits for the oldest one still unanswered. A command
 * fails at its deadline, as with `commandTimeout` (the timer is late only by the clock's
 * own latency), with ioredis' error message.
 */
export class CommandWatchdog {
  private readonly now: () => number;
  private commands: (Command | undefined)[] = [];
  private deadlines: number[] = [];
  private head = 0;
  /** Entries from the head on that trigger a sweep (see `releaseAnswered`). */
  private sweepAt = SWEEP_MIN;
  private timer: unknown;
  /** Not `timer !== undefined`: a Clock's handle may be any value. */
  private armed = false;
  private timerDue = 0;

  constructor(
    /** How long a command may wait for its reply, in ms. */
    readonly timeoutMs: number,
    private readonly clock: Clock,
  ) {
    // Deadlines on the monotonic reading when the clock has one: wall steps do not move them.
    this.now = typeof clock.monotonic === 'function' ? () => clock.monotonic!() : () => clock.now();
  }

  /**
   * Commands held. ioredis marks only a reply as answered, so a command that failed (an
   * error reply, a closed link) is held until its deadline, where failing it again is a
   * no-op; answered ones behind it are held only until the next sweep (at most
   * max(256, twice the unanswered ones)).
   */
  get pending(): number {
    this.releaseAnswered();
    return this.commands.length - this.head;
  }

  /** Entries held right now, answered ones not yet dropped included (for diagnostics and tests). */
  get held(): number {
    return this.commands.length - this.head;
  }

  /** Starts the clock of one command just sent (or queued offline). */
  track(command: Command): void {
    this.releaseAnswered();
    const deadline = this.now() + this.timeoutMs;
    this.commands.push(command);
    this.deadlines.push(deadline);
    if (!this.armed) this.arm(deadline);
  }

  /** Forgets every command and the timer (the client ended: ioredis failed its commands). */
  stop(): void {
    if (this.armed) this.clock.clearTimeout(this.timer);
    this.armed = false;
    this.timer = undefined;
    this.commands = [];
    this.deadlines = [];
    this.head = 0;
    this.sweepAt = SWEEP_MIN;
  }

  private arm(deadline: number): void {
    this.timerDue = deadline;
    this.armed = true;
    this.timer = this.clock.setTimeout(() => this.expire(), Math.max(1, deadline - this.now()));
  }

  private expire(): void {
    this.armed = false;
    this.timer = undefined;
    const now = this.now();
    // A timer may fire a little early on a coarse clock: never fail a command before its time.
    if (now < this.timerDue) return this.arm(this.timerDue);
    const { commands, deadlines } = this;
    while (this.head < commands.length && deadlines[this.head]! <= now) {
      const command = commands[this.head]!;
      commands[this.head++] = undefined;
      // Rejecting a command that already failed (a closed link) is a no-op.
      if (!command.isResolved) command.reject(new Error(COMMAND_TIMED_OUT));
    }
    this.releaseAnswered();
    if (this.head < commands.length) this.arm(deadlines[this.head]!);
  }

  /**
   * Drops answered commands at the head: replies come in send order, so that is most. A
   * failed command stays at the head until its deadline; the answered ones behind it are
   * swept out once they double the list (amortised O(1) per command), or a single error
   * reply would keep a busy client's commands, replies and payloads for `timeoutMs`.
   * Also called after each chunk of replies (by {@link WatchedRedis}): otherwise a command,
   * its arguments and its reply stay referenced until the next send, and a client that sends
   * in bursts keeps each burst alive through young-generation GCs.
   */
  releaseAnswered(): void {
    const { commands } = this;
    while (this.head < commands.length && commands[this.head]!.isResolved) {
      commands[this.head++] = undefined;
    }
    if (this.head === commands.length) {
      if (this.head > 0) {
        commands.length = 0;
        this.deadlines.length = 0;
        this.head = 0;
        this.sweepAt = SWEEP_MIN;
      }
    } else if (commands.length - this.head >= this.sweepAt) {
      this.sweep();
    } else if (this.head >= COMPACT_AT && this.head * 2 >= commands.length) {
      this.commands = commands.slice(this.head);
      this.deadlines = this.deadlines.slice(this.head);
      this.head = 0;
    }
  }

  /** Keeps only the unanswered commands, in order (so deadlines still only grow). */
  private sweep(): void {
    const { commands, deadlines } = this;
    const kept: Command[] = [];
    const due: number[] = [];
    for (let i = this.head; i < commands.length; i++) {
      const command = commands[i]!;
      if (command.isResolved) continue;
      kept.push(command);
      due.push(deadlines[i]!);
    }
    this.commands = kept;
    this.deadlines = due;
    this.head = 0;
    this.sweepAt = Math.max(SWEEP_MIN, 2 * kept.length);
  }
}

/**
 * An ioredis client whose `commandTimeout` is enforced by one {@link CommandWatchdog} on
 * `clock` instead of a timer per command: the same bound (a command unanswered after
 * `commandTimeout` ms fails with "Command timed out"), cheaper on a busy connection.
 * Without `commandTimeout` it is a plain client. `duplicate()` keeps the watchdog.
 */
export class WatchedRedis extends Redis {
  /** Undefined when the options had no `commandTimeout`. */
  readonly watchdog: CommandWatchdog | undefined;

  /**
   * @param options ioredis options; `url` as BullMQ takes it (`redis://…`, parsed by ioredis,
   * its parts before the other options).
   */
  constructor(
    options: RedisOptions & { readonly url?: string },
    private readonly clock: Clock,
  ) {
    const { commandTimeout, url, ...rest } = options;
    // ioredis skips an undefined argument and takes each option from the first that has it.
    super(...([url, rest] as unknown as [RedisOptions]));
    this.watchdog =
      typeof commandTimeout === 'number' ? new CommandWatchdog(commandTimeout, clock) : undefined;
    if (this.watchdog !== undefined) {
      const watchdog = this.watchdog;
      // ioredis fails every command still waiting when a client ends.
      this.on('end', () => watchdog.stop());
      // ioredis' parser is the socket's first 'data' listener (prepended): after it, every
      // reply of the chunk is resolved. One listener per socket, gone with it on reconnect.
      const release = (): void => watchdog.releaseAnswered();
      this.on('connect', () => this.stream.on('data', release));
    }
  }

  override sendCommand(command: Command, stream?: Parameters<Redis['sendCommand']>[1]): unknown {
    // ioredis' own timer would start here; the constructor runs before any command is sent.
    this.watchdog?.track(command);
    return super.sendCommand(command, stream);
  }

  override duplicate(override?: Partial<RedisOptions>): Redis {
    const timeout = this.watchdog === undefined ? {} : { commandTimeout: this.watchdog.timeoutMs };
    return new WatchedRedis({ ...this.options, ...timeout, ...override }, this.clock);
  }
}
