import type { FailureState, KernelSnapshot, KernelStatus, ModuleStatus } from '@keel/core';

/** Why the service is not ready, one entry per problem. */
export type NotReadyReason =
  | { kind: 'kernel'; status: KernelStatus; message: string }
  | { kind: 'status'; module: string; status: ModuleStatus; message: string }
  | { kind: 'failure'; module: string; failure: FailureState; message: string };

/** The readiness verdict, as `/readyz` sends it. */
export interface Readiness {
  ready: boolean;
  kernel: KernelStatus;
  reasons: NotReadyReason[];
}

/**
 * Ready when the kernel is online, every module that should run is online, and no module
 * is in the `error` failure state. Under management only enabled modules (and what they
 * need) should run; without it, every module.
 */
export function readiness(snapshot: KernelSnapshot): Readiness {
  const reasons: NotReadyReason[] = [];
  if (snapshot.status !== 'online') {
    reasons.push({
      kind: 'kernel',
      status: snapshot.status,
      message: `The kernel is ${snapshot.status}, not online.`,
    });
  }
  for (const m of Object.values(snapshot.modules)) {
    const shouldRun = !snapshot.managed || m.enabled || m.enabledAsDependency;
    if (shouldRun && m.status !== 'online') {
      reasons.push({
        kind: 'status',
        module: m.name,
        status: m.status,
        message: `Module "${m.name}" is ${m.status}, not online.`,
      });
    }
    if (m.failure.status === 'error') {
      reasons.push({
        kind: 'failure',
        module: m.name,
        failure: m.failure,
        message: `Module "${m.name}" reports an error: ${m.failure.title || m.failure.id}${
          m.failure.message ? ` (${m.failure.message})` : ''
        }.`,
      });
    }
  }
  return { ready: reasons.length === 0, kernel: snapshot.status, reasons };
}
