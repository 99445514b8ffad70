import { getEventListeners } from 'node:events';
import { JobSignals } from '../../src/fleet/fleet-work.js';

describe('JobSignals: a job handler signal aborts with its job or its module', () => {
  it('aborts with the job’s reason, or every running one with the module’s', () => {
    const signals = new JobSignals();
    const moduleStop = new AbortController();
    const jobs = [new AbortController(), new AbortController(), new AbortController()];
    const linked = jobs.map((j) => signals.link(j.signal, moduleStop.signal));
    const timeout = new Error('timed out');
    jobs[0]!.abort(timeout);
    expect(linked[0]!.signal.reason).toBe(timeout);
    expect(linked[1]!.signal.aborted).toBe(false);
    linked[2]!.unlink(); // ended before the stop: left alone
    const stop = new Error('stopping');
    moduleStop.abort(stop);
    expect(linked[0]!.signal.reason).toBe(timeout);
    expect(linked[1]!.signal.reason).toBe(stop);
    expect(linked[2]!.signal.aborted).toBe(false);
    // A job started after the stop is born aborted.
    expect(signals.link(new AbortController().signal, moduleStop.signal).signal.reason).toBe(stop);
  });

  it('lets the job’s reason win when both are already aborted, as AbortSignal.any would', () => {
    const signals = new JobSignals();
    const job = new AbortController();
    const mod = new AbortController();
    job.abort(new Error('job'));
    mod.abort(new Error('module'));
    expect((signals.link(job.signal, mod.signal).signal.reason as Error).message).toBe('job');
  });

  it('keeps one listener on the module signal however many jobs ran, and none after close', () => {
    const signals = new JobSignals();
    const mod = new AbortController();
    const jobSignals: AbortSignal[] = [];
    for (let i = 0; i < 1000; i++) {
      const job = new AbortController();
      jobSignals.push(job.signal);
      signals.link(job.signal, mod.signal).unlink();
    }
    expect(getEventListeners(mod.signal, 'abort')).toHaveLength(1);
    expect(jobSignals.every((s) => getEventListeners(s, 'abort').length === 0)).toBe(true);
    // The module started again: its new signal is watched, the old one let go.
    const next = new AbortController();
    const linked = signals.link(new AbortController().signal, next.signal);
    expect(getEventListeners(mod.signal, 'abort')).toHaveLength(0);
    next.abort(new Error('stop 2'));
    expect(linked.signal.aborted).toBe(true);
    signals.close();
    expect(getEventListeners(next.signal, 'abort')).toHaveLength(0);
  });
});
