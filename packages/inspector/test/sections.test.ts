import { Module } from '@keel/core';
import { Inspector, INSPECTOR_SECTION, type InspectorSection } from '@keel/inspector';
import { startHarness } from './support/harness.js';
import { send } from './support/http.js';

@Module({ name: 'quota' })
class Quota {
  used = 3;
  [INSPECTOR_SECTION](): InspectorSection {
    return {
      title: 'Quota',
      data: { used: this.used },
      tables: [{ caption: 'usage', columns: ['what', 'n'], rows: [['used', this.used]] }],
      metrics: [
        {
          name: 'quota_used',
          help: 'Used.',
          type: 'gauge',
          value: this.used,
          labels: { pool: 'a"b' },
        },
        // Skipped: a name the registry has, a bad name, a value that is not finite.
        { name: 'keel_module_status', help: 'clash', type: 'gauge', value: 9 },
        { name: 'bad name', help: 'x', type: 'gauge', value: 1 },
        { name: 'quota_nan', help: 'x', type: 'gauge', value: Number.NaN },
      ],
    };
  }
}

@Module({ name: 'broken' })
class Broken {
  [INSPECTOR_SECTION](): InspectorSection {
    throw new Error('no section today');
  }
}

describe('plugin sections', () => {
  it('serves each module section on /api/sections, and a throwing one as its error', async () => {
    const h = await startHarness({ kernel: { modules: [Quota, Broken, Inspector] } });
    const reply = await send(h.url, '/api/sections');
    expect(reply.status).toBe(200);
    expect(reply.json()).toEqual({
      quota: {
        title: 'Quota',
        data: { used: 3 },
        tables: [{ caption: 'usage', columns: ['what', 'n'], rows: [['used', 3]] }],
        metrics: expect.any(Array),
      },
      broken: { title: 'broken', error: 'no section today' },
    });
    await h.stop();
  });

  it('adds their metrics to /metrics, skipping clashing or malformed ones', async () => {
    const h = await startHarness({ kernel: { modules: [Quota, Inspector] } });
    const quota = h.k.get(Quota);
    quota.used = 7;
    const text = (await send(h.url, '/metrics')).text;
    expect(text).toContain(
      '# HELP quota_used Used.\n# TYPE quota_used gauge\nquota_used{pool="a\\"b"} 7\n',
    );
    expect(text.match(/# TYPE keel_module_status /g)).toHaveLength(1);
    expect(text).not.toContain('bad name');
    expect(text).not.toContain('quota_nan');
    await h.stop();
  });
});
