export { createTestKernel } from './test-kernel.js';
export type { TestKernel, TestKernelExtras, TestKernelOptions, Override } from './test-kernel.js';

export { FakeClock, DEFAULT_FAKE_NOW, DEFAULT_MAX_TIMERS } from './fake-clock.js';
export type { FakeClockOptions, RunUntilIdleOptions } from './fake-clock.js';
export { settle } from './settle.js';
export { FakeFleet } from './fake-fleet.js';
export type { FakeFleetOptions } from './fake-fleet.js';

export type { WaitForOptions } from './wait-for.js';
export type { TriggerOptions } from './trigger.js';
export type { LogRecord } from './log-capture.js';

export { startRedisServer, freePort } from './redis-server.js';
export type { RedisServer, RedisServerOptions } from './redis-server.js';
