/**
 * Every stable `KeelError` code, with what it means. Codes are never reused or renamed;
 * `docs/errors.md` has a row for each, and a test keeps the two in step.
 */
export const ErrorCodes = {
  E_INVALID_DURATION:
    'A duration is neither a non-negative number of milliseconds nor a string like "250ms", "2s", "5m", "1h", "1d", or is longer than 10 years.',
  E_INVALID_OPTION:
    'An option passed to Kernel.create, a decorator or an API call has the wrong type or range.',
  E_NOT_A_MODULE:
    'A class used as a module (in modules, dependsOn or a hook) has no @Module decorator.',
  E_MODULE_DUPLICATE: 'Two different module classes share one name in a kernel.',
  E_MODULE_MISSING:
    'A module referenced by name (dependsOn, @OnEvent, kernel.module) is not part of the kernel.',
  E_MODULE_CYCLE: 'Modules depend on each other in a cycle.',
  E_MODULE_CONSTRUCTOR:
    "A module's constructor threw, or one of its dependencies could not be resolved.",
  E_DECORATOR_MISUSE:
    'A Keel method decorator is used outside a @Module class or on something that is not a method.',
  E_EVENT_UNKNOWN:
    'An event is triggered or hooked that its module does not declare in @Module({ events }).',
  E_TASK_OPTIONS: '@Task options contradict each other (every with cron) or are out of range.',
  E_INVALID_CRON: 'A cron expression cannot be parsed.',
  E_INVALID_DATE: 'schedule() was given an invalid Date.',
  E_TASK_NOT_ALLOWED: 'A task was created on a module that is neither starting nor online.',
  E_START_FAILED: "A module's prep or start failed or timed out; the kernel rolled back.",
  E_KERNEL_STATE:
    'A kernel method was called in a phase that does not allow it (start twice, start after shutdown).',
  E_ILLEGAL_TRANSITION:
    'An internal state machine was asked for a move its table forbids (a bug in Keel: please report it).',
  E_TIMEOUT: 'A lifecycle step did not finish within its deadline.',
  E_ABANDONED:
    'The kernel stopped waiting for a lifecycle step (a shutdown ran out of time, or the module asked for the shutdown itself).',
  E_CLI_ARGUMENT:
    'A command-line argument is unknown or malformed for the flags that modules declare.',
  E_ASYNC_PROVIDER:
    'An async provider was misused: resolved before start(), or a factory returned a promise without being marked async.',
  E_FLEET_UNAVAILABLE: 'The fleet engine (Redis) could not be reached when the kernel started.',
  E_FLEET_SINGLETON_DEPENDENCY:
    'A module that runs on every replica depends on a singleton module, which runs on one.',
  E_JOB_QUEUE_UNKNOWN: 'A job was enqueued on a queue that no @Job handler of the kernel declares.',
  E_JOB_DATA: 'Job data is not JSON-serialisable.',
  E_EVENT_NOT_EXPOSED: 'A fleet trigger of an event declared with expose: false.',
  E_EVENT_PAYLOAD: 'A fleet event payload is not JSON-serialisable.',
  E_CONFIG_INVALID:
    'Configuration values (defaults, file, environment, flags) do not match the declared schemas: every bad, missing or unknown key is listed.',
  E_CONFIG_CONFLICT:
    'Two configuration declarations claim the same key (environment variable, flag or file section).',
  E_CONFIG_FILE: 'A configuration file cannot be read or is not valid JSON or YAML.',
} as const;

/** A stable error code. */
export type ErrorCode = keyof typeof ErrorCodes;
