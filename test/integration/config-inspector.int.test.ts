import { request } from 'node:http';
import { Config, ConfigModule, type ConfigOf, type ConfigSnapshot } from '@keel/config';
import { inject, Module } from '@keel/core';
import { Inspector } from '@keel/inspector';
import { createTestKernel } from '@keel/testing';
import { chromium } from 'playwright-core';
import { z } from 'zod';

const CHROMIUM = '/usr/bin/chromium';

const DbConfig = Config.define('db', {
  prefix: 'DB_',
  schema: z.object({
    host: z.string().default('localhost'),
    password: z.string(),
  }),
  secret: ['password'],
});

@Module({ name: 'db' })
class Db {
  constructor(@inject(DbConfig) readonly config: ConfigOf<typeof DbConfig>) {}
}

function get(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    request(url, { agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (c: string) => (text += c));
      res.on('end', () => resolve(text));
    })
      .on('error', reject)
      .end();
  });
}

describe('@keel/config in the inspector', () => {
  it('shows the effective configuration with sources, secrets masked, and reload metrics', async () => {
    const env: Record<string, string> = { DB_PASSWORD: 'very-secret-value' };
    const k = createTestKernel({
      modules: [Db, Inspector],
      providers: [...Inspector.configure({ port: 0 }), ...ConfigModule.configure({ env })],
    });
    await k.start();
    const base = k.get(Inspector).url!;

    const sections = JSON.parse(await get(`${base}api/sections`)) as {
      config: { title: string; data: ConfigSnapshot; tables: Array<{ rows: string[][] }> };
    };
    expect(sections.config.title).toBe('Configuration');
    expect(sections.config.data.sections['db']!.keys).toEqual({
      host: {
        value: 'localhost',
        source: 'default',
        secret: false,
        env: 'DB_HOST',
        flag: '--db-host',
      },
      password: {
        value: '[redacted]',
        source: 'env',
        secret: true,
        env: 'DB_PASSWORD',
        flag: '--db-password',
      },
    });
    expect(sections.config.tables[0]!.rows).toEqual([
      ['host', '"localhost"', 'default', 'DB_HOST', '--db-host'],
      ['password', '"[redacted]"', 'env', 'DB_PASSWORD', '--db-password'],
    ]);

    env['DB_HOST'] = 'db.internal';
    await k.get(ConfigModule).reload();
    env['DB_PASSWORD'] = '';
    await expect(k.get(ConfigModule).reload()).rejects.toMatchObject({ code: 'E_CONFIG_INVALID' });
    const metrics = await get(`${base}metrics`);
    expect(metrics).toContain(
      '# TYPE keel_config_reloads_total counter\nkeel_config_reloads_total 1\n',
    );
    expect(metrics).toContain('keel_config_invalid_total 1\n');
    const after = await get(`${base}api/sections`);
    expect(after).toContain('"source":"env"');
    expect(after).toContain('db.internal');
    for (const text of [after, metrics, await get(`${base}api/snapshot`)]) {
      expect(text).not.toContain('very-secret-value');
    }
    await k.shutdown();
    expect(k.errors.map((e) => e.taskName)).toEqual(['reload']);
    k.expectNoLeaks();
  });

  it('shows the configuration on the page, secrets masked', async () => {
    const k = createTestKernel({
      modules: [Db, Inspector],
      providers: Inspector.configure({ port: 0 }),
      config: { db: { host: 'db.example', password: 'very-secret-value' } },
    });
    await k.start();
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
    });
    try {
      const page = await browser.newPage();
      const pageErrors: string[] = [];
      page.on('pageerror', (err) => pageErrors.push(err.message));
      await page.goto(k.get(Inspector).url!);
      const card = page.locator('.plugin-card[data-module="config"]');
      await card.waitFor({ timeout: 2000 });
      const text = await card.innerText();
      expect(text).toContain('Configuration');
      expect(text).toContain('db (prefix DB_; used by db)');
      expect(text).toMatch(/host\s+"db\.example"\s+test\s+DB_HOST\s+--db-host/);
      expect(text).toContain('"[redacted]"');
      expect(await page.content()).not.toContain('very-secret-value');
      expect(pageErrors).toEqual([]);
    } finally {
      await browser.close();
    }
    await k.shutdown();
    k.expectNoErrors();
    k.expectNoLeaks();
  });
});
