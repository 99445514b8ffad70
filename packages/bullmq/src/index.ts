// @keel/bullmq — durable jobs and once-per-fleet tasks on BullMQ.
export { BullmqJobs } from './bullmq-jobs.js';
export type { BullmqJobsOptions, RetryPolicy } from './options.js';
export { JobTimeoutError, JobHandedBackError } from './job-consumer.js';
export { SCHEDULER_LEADER_LEASE, taskQueueName } from './fleet-tasks.js';
export type { TaskCoordinator, TaskReplica } from './fleet-tasks.js';
export { bullmqFleet, BullmqFleetConnection } from './bullmq-fleet.js';
export type { BullmqFleetOptions, BullmqFleetProvider } from './bullmq-fleet.js';
