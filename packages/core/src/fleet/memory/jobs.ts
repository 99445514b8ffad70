import { KeelError } from '../../errors/keel-error.js';
import type { Clock } from '../../time/clock.js';
import type {
  FleetConsumer,
  FleetConsumerSpec,
  FleetEnqueueOptions,
  FleetJobHandler,
} from '../../specs/fleet-provider.js';
import { Queue, type QueueStats } from './job-queue.js';
import type { ReplicaLink } from './link.js';

/** Job queues of one in-memory fleet. */
export class JobHub {
  private readonly queues = new Map<string, Queue>();

  constructor(
    private readonly clock: Clock,
    private readonly stalledMs: number,
  ) {}

  enqueue(queue: string, data: string, opts: FleetEnqueueOptions): string {
    checkEnqueue(queue, opts);
    return this.queue(queue).enqueue(data, opts);
  }

  consume(
    link: ReplicaLink,
    queue: string,
    spec: FleetConsumerSpec,
    handler: FleetJobHandler,
  ): FleetConsumer {
    checkSpec(queue, spec);
    return this.queue(queue).consume(link, spec, handler);
  }

  lost(link: ReplicaLink): void {
    for (const q of this.queues.values()) q.lost(link);
  }

  healed(link: ReplicaLink): void {
    for (const q of this.queues.values()) q.healed(link);
  }

  drop(link: ReplicaLink): void {
    for (const q of this.queues.values()) q.drop(link);
  }

  stats(): Record<string, QueueStats> {
    const out: Record<string, QueueStats> = {};
    for (const [name, q] of this.queues) out[name] = q.stats();
    return out;
  }

  close(): void {
    for (const q of this.queues.values()) q.dispose();
  }

  private queue(name: string): Queue {
    let q = this.queues.get(name);
    if (q === undefined) this.queues.set(name, (q = new Queue(name, this.clock, this.stalledMs)));
    return q;
  }
}

function checkEnqueue(queue: string, opts: FleetEnqueueOptions): void {
  const bad = (option: string, value: unknown, want: string): KeelError =>
    new KeelError(
      'E_INVALID_OPTION',
      `enqueue("${queue}"): ${option} must be ${want}, got ${String(value)}.`,
      { details: { queue, option } },
    );
  if (opts.jobId !== undefined && (typeof opts.jobId !== 'string' || opts.jobId === ''))
    throw bad('jobId', opts.jobId, 'a non-empty string');
  if (opts.priority !== undefined && !(Number.isInteger(opts.priority) && opts.priority >= 0))
    throw bad('priority', opts.priority, 'a whole number ≥ 0 (lower runs first)');
  if (opts.delayMs !== undefined && !(Number.isFinite(opts.delayMs) && opts.delayMs >= 0))
    throw bad('delayMs', opts.delayMs, 'a finite number of milliseconds ≥ 0');
}

function checkSpec(queue: string, spec: FleetConsumerSpec): void {
  const bad = (option: string, value: unknown, want: string): KeelError =>
    new KeelError(
      'E_INVALID_OPTION',
      `consume("${queue}"): ${option} must be ${want}, got ${String(value)}.`,
      { details: { queue, option } },
    );
  if (!(Number.isInteger(spec.concurrency) && spec.concurrency >= 1))
    throw bad('concurrency', spec.concurrency, 'a whole number ≥ 1');
  if (!(Number.isInteger(spec.attempts) && spec.attempts >= 1))
    throw bad('attempts', spec.attempts, 'a whole number ≥ 1');
  if (!(Number.isFinite(spec.backoff.delayMs) && spec.backoff.delayMs >= 0))
    throw bad('backoff.delayMs', spec.backoff.delayMs, 'a finite number of milliseconds ≥ 0');
  if (spec.timeoutMs !== undefined && !(Number.isFinite(spec.timeoutMs) && spec.timeoutMs > 0))
    throw bad('timeoutMs', spec.timeoutMs, 'a positive number of milliseconds');
}
