import { describe } from './bounded.js';
import { checkPolicy, type ResolvedOptions, type RetryPolicy } from './options.js';

/** The Redis commands the policy store needs (the admin client). */
export interface PolicyClient {
  get(key: string): Promise<string | null>;
  set(key: string, value: string): Promise<unknown>;
}

/**
 * Where enqueue finds a queue's attempts and backoff. A consumer's spec is the source of
 * truth: `consume()` registers it here and writes it to `<prefix>:<queue>:keel-policy`, so a
 * replica that only produces (no consumer of that queue) reads it from Redis and caches it
 * for `policyCacheMs`. With no consumer anywhere yet, `defaultPolicy` applies.
 */
export class RetryPolicies {
  private readonly local = new Map<string, RetryPolicy>();
  private readonly remote = new Map<string, { policy: RetryPolicy; at: number }>();

  constructor(
    private readonly options: ResolvedOptions,
    private readonly client: () => Promise<PolicyClient>,
  ) {}

  private key(queue: string): string {
    return `${this.options.prefix}:${queue}:keel-policy`;
  }

  /** Declares the policy of a queue consumed here; written to Redis for producers elsewhere. */
  async declare(queue: string, policy: RetryPolicy): Promise<void> {
    this.local.set(queue, policy);
    const client = await this.client();
    await client.set(this.key(queue), JSON.stringify(policy));
  }

  /** The policy of a queue consumed here, or a fresh cached one; `undefined`: ask {@link policyOf}. */
  known(queue: string): RetryPolicy | undefined {
    const local = this.local.get(queue);
    if (local !== undefined) return local;
    const cached = this.remote.get(queue);
    if (cached !== undefined && this.options.clock.now() - cached.at < this.options.policyCacheMs)
      return cached.policy;
    return undefined;
  }

  async policyOf(queue: string): Promise<RetryPolicy> {
    const local = this.local.get(queue);
    if (local !== undefined) return local;
    const now = this.options.clock.now();
    const cached = this.remote.get(queue);
    if (cached !== undefined && now - cached.at < this.options.policyCacheMs) return cached.policy;
    let policy = this.options.defaultPolicy;
    try {
      const raw = await (await this.client()).get(this.key(queue));
      if (raw !== null)
        policy = checkPolicy(`policy of queue "${queue}" in Redis`, JSON.parse(raw) as RetryPolicy);
    } catch (err) {
      if (cached !== undefined) return cached.policy;
      this.options.logger.warn(
        { queue, err: describe(err) },
        'could not read the retry policy of the queue; using the default',
      );
    }
    this.remote.set(queue, { policy, at: now });
    return policy;
  }
}
