import { deferred, uniqueName } from './harness.js';
import type { ContractScope } from './scope.js';

/** Fleet tasks: one replica per due time, slot-aligned, no overlap. */
export function describeTaskScenarios(s: ContractScope): void {
  describe('tasks', () => {
    it('each due time runs on exactly one replica, slot-aligned to everyMs', async () => {
      const replicas = [await s.replica('a'), await s.replica('b'), await s.replica('c')];
      const key = uniqueName('Reports.nightly');
      const { everyMs } = s.timings;
      const runs: { replica: string; dueAt: number }[] = [];
      const handles = replicas.map((r) =>
        r.conn.scheduleTask(
          { key, everyMs },
          async (dueAt) => void runs.push({ replica: r.id, dueAt }),
        ),
      );
      const first = handles[0]!.nextRunAt;
      expect(first).toBeDefined();
      expect(first! % everyMs).toBe(0);
      expect(first!).toBeGreaterThan(s.fleet.clock.now());
      await s.waitUntil(
        () => runs.length >= 4,
        first! - s.fleet.clock.now() + everyMs * 3,
        'four runs',
      );
      const dueTimes = runs.map((r) => r.dueAt);
      expect(new Set(dueTimes).size).toBe(runs.length);
      expect(dueTimes.slice(0, 4)).toEqual([0, 1, 2, 3].map((i) => first! + i * everyMs));
      const snap = replicas[0]!.conn.snapshot().tasks[key]!;
      expect(['a', 'b', 'c']).toContain(snap.lastRunBy);
      expect(snap.nextRunAt).toBeGreaterThan(runs.at(-1)!.dueAt);
    });

    it('a due time that would overlap the running run is skipped', async () => {
      const [a, b] = [await s.replica('a'), await s.replica('b')];
      const key = uniqueName('Sync.pull');
      const { everyMs } = s.timings;
      const hold = deferred();
      const runs: number[] = [];
      let concurrent = 0;
      let peak = 0;
      const run = async (dueAt: number): Promise<void> => {
        runs.push(dueAt);
        concurrent++;
        peak = Math.max(peak, concurrent);
        if (runs.length === 1) await hold.promise;
        concurrent--;
      };
      const ha = a.conn.scheduleTask({ key, everyMs }, run);
      b.conn.scheduleTask({ key, everyMs }, run);
      const first = ha.nextRunAt!;
      await s.waitUntil(() => runs.length >= 1, first - s.fleet.clock.now(), 'the first run');
      await s.advance(everyMs * 2 + s.timings.slackMs); // two due times pass while it runs
      expect(runs).toEqual([first]);
      hold.resolve();
      await s.waitUntil(() => runs.length >= 2, everyMs, 'the next run');
      expect(runs[1]! - first).toBeGreaterThanOrEqual(everyMs * 3);
      expect(peak).toBe(1);
    });

    it('a closed schedule takes no more due times; the others go on', async () => {
      const [a, b] = [await s.replica('a'), await s.replica('b')];
      const key = uniqueName('Cache.warm');
      const { everyMs } = s.timings;
      const runs: string[] = [];
      const ha = a.conn.scheduleTask({ key, everyMs }, async () => void runs.push('a'));
      b.conn.scheduleTask({ key, everyMs }, async () => void runs.push('b'));
      await ha.close();
      await s.waitUntil(() => runs.length >= 3, everyMs * 3, 'three runs');
      expect(runs.slice(0, 3)).toEqual(['b', 'b', 'b']);
    });
  });
}
