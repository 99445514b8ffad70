import type { FleetJobHandler } from '@keel/core';
export type { BullmqJobs } from '@keel/bullmq';
export type FleetJobHandlerLike = FleetJobHandler;
