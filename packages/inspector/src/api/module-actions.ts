import { isKeelError, type Kernel } from '@keel/core';
import { readBody } from '../http/body.js';
import { HttpError, sendJson } from '../http/respond.js';
import type { Handler } from '../http/router.js';

/** Enable or disable. */
export type ModuleAction = 'enable' | 'disable';

/**
 * `POST /api/modules/:name/enable|disable`: marks the module and runs `kernel.manage()`,
 * answering once the kernel has started or stopped what it should. Needs management on
 * (409 otherwise). The caller has checked the token.
 */
export function moduleActionHandler(
  kernel: Kernel,
  ownName: string,
  action: ModuleAction,
): Handler {
  return async ({ req, res, params }) => {
    await readBody(req); // enforce the size limit; the body carries nothing we need
    const name = params.name!;
    const snapshot = kernel.inspect();
    if (!snapshot.managed) {
      throw new HttpError(
        409,
        'Module management is not enabled: call kernel.enableManagement() before kernel.start() to enable or disable modules at run time.',
      );
    }
    if (snapshot.status !== 'online') {
      throw new HttpError(
        409,
        `The kernel is ${snapshot.status}; modules can change only while it is online.`,
      );
    }
    const module = snapshot.modules[name];
    if (module === undefined) throw new HttpError(404, `No module "${name}" in this kernel.`);
    if (action === 'disable' && name === ownName) {
      throw new HttpError(409, 'The inspector cannot disable itself.');
    }
    const handle = kernel.module(name);
    const changed = action === 'enable' ? handle.enable() : handle.disable();
    try {
      await kernel.manage();
    } catch (err) {
      // The kernel already reported the module's failure; tell the caller what happened.
      if (isKeelError(err, 'E_START_FAILED')) throw new HttpError(500, err.message);
      throw err;
    }
    sendJson(res, 200, {
      module: name,
      changed,
      enabled: handle.enabled,
      enabledAsDependency: handle.enabledAsDependency,
      status: handle.status,
    });
  };
}

/**
 * `POST /api/modules/:name/restart`: `kernel.restart(name)`, answering once the module (and
 * its running dependents) started again. Works without management; needs an online kernel
 * (409 otherwise). The inspector does not restart itself (its server answers this request).
 * The caller has checked the token.
 */
export function moduleRestartHandler(kernel: Kernel, ownName: string): Handler {
  return async ({ req, res, params }) => {
    await readBody(req); // enforce the size limit; the body carries nothing we need
    const name = params.name!;
    const snapshot = kernel.inspect();
    if (snapshot.status !== 'online') {
      throw new HttpError(
        409,
        `The kernel is ${snapshot.status}; modules can restart only while it is online.`,
      );
    }
    if (snapshot.modules[name] === undefined) {
      throw new HttpError(404, `No module "${name}" in this kernel.`);
    }
    if (name === ownName) throw new HttpError(409, 'The inspector cannot restart itself.');
    const handle = kernel.module(name);
    try {
      await handle.restart();
    } catch (err) {
      // The kernel already reported the module's failure; tell the caller what happened.
      if (isKeelError(err, 'E_START_FAILED')) throw new HttpError(500, err.message);
      throw err;
    }
    sendJson(res, 200, { module: name, restarted: true, status: handle.status });
  };
}
