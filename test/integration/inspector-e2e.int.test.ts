import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Job, Module, ModuleContext, OnEvent, Task, Worker } from '@keel/core';
import { Inspector } from '@keel/inspector';
import { createTestKernel, FakeFleet, type TestKernel } from '@keel/testing';
import { chromium, type Browser } from 'playwright-core';

// The browser suite drives an installed Chromium (playwright-core downloads none). Without one
// it is skipped with a loud line, except under CI=true, where a missing browser is a broken
// setup and fails the suite. CHROMIUM_PATH names a browser anywhere else.
const CANDIDATES = [
  process.env.CHROMIUM_PATH,
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
  '/snap/bin/chromium',
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
];
const CHROMIUM = CANDIDATES.find((path): path is string => !!path && existsSync(path));
const REQUIRED = process.env.CI === 'true';
const INSTALL =
  'Install one (Debian/Ubuntu: `sudo apt-get install chromium`, or `bash .ci/install-chromium`; ' +
  'macOS: Chromium or Google Chrome in /Applications) or set CHROMIUM_PATH.';
if (!CHROMIUM && !REQUIRED) {
  console.warn(
    `\n*** SKIPPED: the inspector's browser tests (test/integration/inspector-e2e): no Chromium ` +
      `found (${CANDIDATES.filter(Boolean).join(', ')}). ${INSTALL} ***\n`,
  );
}
const describeBrowser = CHROMIUM || REQUIRED ? describe : describe.skip;
const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));
const TOKEN = 'e2e-token-0123456789abcdef';

@Module({ name: 'config', events: ['changed'] })
class Config {
  constructor(readonly ctx: ModuleContext) {}
}

@Module({ name: 'storage' })
class Storage {
  constructor(
    readonly config: Config,
    readonly ctx: ModuleContext,
  ) {}

  @Task({ every: '10m' })
  async compact(): Promise<void> {}
}

@Module({ name: 'api' })
class Api {
  constructor(
    readonly storage: Storage,
    readonly config: Config,
    readonly ctx: ModuleContext,
  ) {}

  @Worker()
  async listen(signal: AbortSignal): Promise<void> {
    await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
  }
}

@Module({ name: 'mailer', dependsOn: [Config] })
class Mailer {
  @Task({ every: '1m' })
  async sendQueued(): Promise<void> {}
}

@Module({ name: 'feed', singleton: true })
class Feed {}

@Module({ name: 'billing', events: ['invoiced'] })
class Billing {
  constructor(readonly ctx: ModuleContext) {}

  @Job({ queue: 'invoices' })
  render(data: { fail?: boolean }): void {
    if (data.fail === true) throw new Error('the printer is on fire');
  }

  @Task({ every: '10m', fleet: 'once' })
  async close(): Promise<void> {}
}

@Module({ name: 'ledger' })
class Ledger {
  constructor(readonly billing: Billing) {}

  @OnEvent(Billing, 'invoiced', { fleet: 'one', maxDeliveries: 1 })
  book(data: { poison?: boolean }): void {
    if (data.poison === true) throw new Error('unbookable invoice');
  }
}

describeBrowser('inspector page in headless Chromium', () => {
  let browser: Browser | undefined;
  let k: TestKernel | undefined;

  beforeAll(async () => {
    if (!CHROMIUM) {
      throw new Error(
        `CI=true and no Chromium found: the inspector's browser test needs one. ${INSTALL}`,
      );
    }
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  });

  afterAll(async () => {
    await browser?.close();
  });

  afterEach(async () => {
    if (k === undefined) return;
    await k.shutdown();
    k.expectNoLeaks();
    k = undefined;
  });

  it('lists the modules, shows a disabled module go offline within 2 s, and follows failures, errors and events', async () => {
    k = createTestKernel({
      modules: [Api, Storage, Config, Mailer, Inspector],
      providers: Inspector.configure({ port: 0, token: TOKEN }),
    });
    k.enableManagement();
    for (const m of k.modules) m.enable();
    await k.start();
    const url = k.get(Inspector).url!;

    const page = await browser!.newPage({ viewport: { width: 1280, height: 900 } });
    const pageErrors: string[] = [];
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await page.goto(url);

    for (const name of ['config', 'storage', 'api', 'mailer', 'Inspector']) {
      await page.locator(`tr[data-module="${name}"]`).waitFor({ timeout: 2000 });
      await page.locator(`svg g.node[data-module="${name}"]`).waitFor({ timeout: 2000 });
    }
    expect(await page.locator('tbody#modules tr').count()).toBe(5);
    const mailerNode = page.locator('svg g.node[data-module="mailer"]');
    expect(await mailerNode.getAttribute('data-status')).toBe('online');
    // The live stream is connected before we change anything.
    await page.locator('#live[data-state="live"]').waitFor({ timeout: 2000 });
    // With a token configured the page offers the buttons (and a field for the token).
    expect(await page.locator('button[data-action="disable"][data-module="mailer"]').count()).toBe(
      1,
    );

    const started = performance.now();
    const reply = await fetch(new URL('api/modules/mailer/disable', url), {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(reply.status).toBe(200);
    expect(await reply.json()).toMatchObject({
      module: 'mailer',
      enabled: false,
      status: 'offline',
    });

    await page
      .locator('svg g.node[data-module="mailer"][data-status="offline"]')
      .waitFor({ timeout: 2000 });
    await page
      .locator('tr[data-module="mailer"][data-status="offline"]')
      .waitFor({ timeout: 2000 });
    const seenAfterMs = Math.round(performance.now() - started);
    // The change also shows in the event log, and the row then offers to enable it again.
    await page
      .locator('#log .log-entry[data-kind="status"]', { hasText: 'online → stopping' })
      .first()
      .waitFor({ timeout: 2000 });
    await page
      .locator('button[data-action="enable"][data-module="mailer"]')
      .waitFor({ timeout: 2000 });

    // Failure states, errors and events reach the page live too.
    (k.module('storage').instance as Storage).ctx.warning(
      'slow-disk',
      'Slow disk',
      'fsync took 900 ms',
    );
    (k.module('api').instance as Api).ctx.report(new Error('upstream timed out after 5s'), {
      taskName: 'fetch-rates',
      taskType: 'task',
    });
    await k.module('config').triggerEvent('changed', { key: 'rates.url' });
    await page
      .locator('svg g.node[data-module="storage"][data-failure="warning"]')
      .waitFor({ timeout: 2000 });
    await page
      .locator('#log .log-entry[data-kind="error"]', { hasText: 'upstream timed out after 5s' })
      .waitFor({ timeout: 2000 });
    await page
      .locator('#log .log-entry[data-kind="event"]', { hasText: 'rates.url' })
      .waitFor({ timeout: 2000 });
    await page.locator('.stat[data-tone="bad"]', { hasText: 'Errors reported' }).waitFor({
      timeout: 2000,
    });
    // A module error arriving on the stream is not mistaken for a dropped connection.
    expect(await page.locator('#live').getAttribute('data-state')).toBe('live');

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: `${ARTIFACTS}inspector.png`, fullPage: true });

    // The page's own button, with the token typed in, turns the module back on.
    await page.locator('#token').fill(TOKEN);
    await page.locator('button[data-action="enable"][data-module="mailer"]').click();
    await page
      .locator('svg g.node[data-module="mailer"][data-status="online"]')
      .waitFor({ timeout: 2000 });
    expect(k.module('mailer').status).toBe('online');
    await page.close();

    expect(pageErrors).toEqual([]);
    process.stdout.write(`inspector e2e: page showed "offline" ${seenAfterMs} ms after the POST\n`);
  });

  it('shows the fleet: replicas, the leader and the standby, queues, tasks, events and a partition', async () => {
    const fleet = new FakeFleet({ service: 'shop' });
    const replica = (id: string): TestKernel =>
      createTestKernel({
        modules: [Feed, Billing, Ledger, Inspector],
        providers: Inspector.configure({ port: 0 }),
        fleet: fleet.replica(id),
        clock: fleet.clock,
      });
    const a = replica('a');
    const b = replica('b');
    try {
      await a.start();
      await b.start();
      await fleet.clock.advance('5s'); // a heartbeat round: each sees the other
      const billing = a.get(Billing);
      await billing.ctx.fleet.enqueue('invoices', {});
      await billing.ctx.fleet.enqueue('invoices', { fail: true }, { jobId: 'inv-7' });
      await billing.ctx.triggerEvent('invoiced', { poison: true }, { fleet: true });
      await fleet.clock.advance('1s');

      const page = await browser!.newPage({ viewport: { width: 1280, height: 1400 } });
      const pageErrors: string[] = [];
      page.on('pageerror', (err) => pageErrors.push(err.message));
      await page.goto(a.get(Inspector).url!);
      const card = page.locator('#fleet-card');
      await card.locator('tr[data-replica="a"].self').waitFor({ timeout: 2000 });
      await card.locator('tr[data-replica="b"]').waitFor({ timeout: 2000 });
      expect(await card.locator('tr[data-replica="a"] [data-leads="feed"]').count()).toBe(1);
      expect(await card.locator('tr[data-replica="b"] [data-leads]').count()).toBe(0);
      expect(await page.locator('#fleet-connection').getAttribute('data-connected')).toBe('true');
      expect(await page.locator('tr[data-module="feed"] [data-leader]').count()).toBe(1);
      const queue = card.locator('tr[data-queue="invoices"]');
      expect(await queue.locator('td').allTextContents()).toEqual([
        'invoices',
        '0',
        '0',
        '0',
        '1',
        '1',
        expect.stringContaining('the printer is on fire') as unknown as string,
      ]);
      expect(await queue.textContent()).toContain('inv-7');
      const task = card.locator('tr[data-fleet-task="billing.close"]');
      // Slot-aligned at 00:10:00; the fleet clock is at 00:00:06.
      expect(await task.locator('td').allTextContents()).toEqual([
        'billing.close',
        'in 9m 54s',
        'not run yet',
      ]);
      const hook = card.locator('tr[data-hook="billing.invoiced->ledger.book"]');
      expect(await hook.textContent()).toContain('unbookable invoice');
      expect(await hook.locator('td.num').allTextContents()).toEqual(['0', '0', '1']);

      // The other replica's page shows the singleton standing by.
      const pageB = await browser!.newPage({ viewport: { width: 1280, height: 900 } });
      pageB.on('pageerror', (err) => pageErrors.push(err.message));
      await pageB.goto(b.get(Inspector).url!);
      await pageB
        .locator('tr[data-module="feed"][data-status="offline"] [data-standby]')
        .waitFor({ timeout: 2000 });
      await pageB.locator('#fleet-card tr[data-replica="b"].self').waitFor({ timeout: 2000 });
      await pageB.close();

      // Cut a off: its page shows the connection lost and the fleet warning, live.
      await page.locator('#live[data-state="live"]').waitFor({ timeout: 2000 });
      fleet.partition('a');
      await page.locator('#fleet-connection[data-connected="false"]').waitFor({ timeout: 2000 });
      await card.locator('.fleet-failure[data-failure="warning"]').waitFor({ timeout: 2000 });
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: `${ARTIFACTS}inspector-fleet.png`, fullPage: true });
      fleet.heal('a');
      await fleet.clock.advance('5s');
      await page.locator('#fleet-connection[data-connected="true"]').waitFor({ timeout: 2000 });
      await page.close();
      expect(pageErrors).toEqual([]);
    } finally {
      await Promise.allSettled([a.shutdown(), b.shutdown()]);
    }
    a.expectNoLeaks();
    b.expectNoLeaks();
  });

  it('offers no changes without a token: no buttons, no token field', async () => {
    k = createTestKernel({
      modules: [Api, Storage, Config, Mailer, Inspector],
      providers: Inspector.configure({ port: 0 }),
    });
    k.enableManagement();
    for (const m of k.modules) m.enable();
    await k.start();

    const page = await browser!.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(k.get(Inspector).url!);
    await page.locator('tr[data-module="mailer"]').waitFor({ timeout: 2000 });
    await page.locator('#live[data-state="live"]').waitFor({ timeout: 2000 });
    expect(await page.locator('#token-form').isVisible()).toBe(false);
    expect(await page.locator('button[data-action]').count()).toBe(0);
    expect(await page.locator('#management-note').textContent()).toContain('read-only');
    await page.close();
  });
});
