// The dashboard in a real browser (Debian's chromium through playwright-core), left open
// while a fake-activity migration runs on a dev server: gate start open with its approve
// command; then, without a reload, pre-sync rounds with a failed mailbox listed first in
// its wave, the DNS records lowered, the chart and the estimate. An approver's comment
// with markup shows as text and runs nothing. Its screenshot is the README's (npm run docs:screenshots).
// Every check waits through Playwright's locators: the page refreshes itself.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { ApplicationFailure } from '@temporalio/common';
import type { Browser, Locator, Page } from 'playwright-core';
import { connect } from '../../scripts/cli/temporal';
import { startDashboard, type Dashboard } from '../../scripts/dashboard/server';
import { demoSpec } from '../../scripts/sandbox/demo-spec';
import { approveUpdate } from '../../workflows/gates';
import { launchChromium } from '../harness/chromium';
import { createLocalEnv } from '../harness/temporal';
import { screenshotPath } from '../harness/screenshots';
import { fakeWorld } from '../workflows/fakes';
import { startWorker } from '../workflows/harness';
import { waitForStatus } from './http';

jest.setTimeout(180_000);
const hostileComment = '<img src=x onerror="window.__ran = 1"> approved after the dry run';

let env: TestWorkflowEnvironment;
let browser: Browser;
let dashboard: Dashboard;

beforeAll(async () => {
  env = await createLocalEnv();
  browser = await launchChromium();
  const temporal = await connect({ out: () => undefined, err: () => undefined, client: env.client });
  dashboard = await startDashboard({ temporal, port: 0, uiLink: (id) => `http://127.0.0.1:8233/namespaces/default/workflows/${encodeURIComponent(id)}` });
});
afterAll(async () => {
  await dashboard?.close();
  await browser?.close();
  await env?.teardown();
});

/** Waits until `locator` has a visible element whose text contains `text`. */
const shows = (locator: Locator, text: string | RegExp) => locator.filter({ hasText: text }).first().waitFor({ state: 'visible' });

it('follows a migration from gate start to pre-syncs with a failed mailbox, without a reload', async () => {
  // carol's host2 refuses her login: her pre-syncs fail, the others' go on.
  // The dev server does not skip time: an MX whose TTL is 31 s and the lowest low TTL a
  // spec may give (30 s) make the TTL step last half a minute (a real one waits a day).
  const world = fakeWorld([{ name: 'example.test.', type: 'MX', ttl: 31, values: ['10 mail1.example.test.'] }]);
  world.fail.syncMailbox = (req: { mailbox: string }) => {
    if (req.mailbox === 'carol')
      throw ApplicationFailure.nonRetryable('host2 refused the login of carol: [AUTHENTICATIONFAILED] Authentication failed.', 'LoginFailed');
  };
  const worker = await startWorker(env, world);
  const page: Page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const workflowId = 'migration-sandbox-classical';
  const spec = demoSpec('classical', new Date(Date.now() + 30 * 60_000));
  try {
    const handle = await env.client.workflow.start('classicalMigration', {
      taskQueue: worker.taskQueue,
      workflowId,
      args: [{ ...spec, dns: { ...spec.dns, lowTtl: 30 } }],
    });
    await page.goto(dashboard.url);
    const migration = page.locator(`section.migration[data-workflow-id="${workflowId}"]`);
    await shows(migration.locator('h2'), 'sandbox-classical (classical)');

    // Gate start: the step is current, and the command that approves it is given.
    await shows(migration.locator('.timeline li[aria-current=step]'), 'gate start');
    await shows(migration.locator('.gate code.approve'), `mailshift approve ${workflowId} start --by <approver>`);
    await shows(migration.locator('.estimate'), 'no estimate yet');

    await handle.executeUpdate(approveUpdate, { args: [{ gate: 'start', by: 'operator', comment: hostileComment }] });
    await waitForStatus(env.client, workflowId, (s) => s.rounds.some((r) => r.kind === 'presync'), 90_000);

    // Pre-syncs: the step, the failure first in its wave with its reason, the chart, DNS, the timer.
    await shows(migration.locator('.timeline li[aria-current=step]'), 'pre-sync until the migration hour');
    await shows(migration.locator('.gate'), /^none$/);
    const everyone = migration.locator('section.wave').filter({ hasText: 'wave everyone' });
    await shows(everyone.locator('h3'), '1 failed');
    await shows(everyone.locator('tbody tr:first-child.failed'), /carol.*presync FAILED.*host2 refused the login of carol/s);
    await shows(everyone.locator('tbody tr:nth-child(2):not(.failed)'), /bob.*pre-synced.*presync ok/s);
    await migration.locator('.chart g.round').first().waitFor({ state: 'visible' });
    await shows(migration.locator('.chart .estimate'), /^about \d+ (ms|s)$/);
    await shows(migration.locator('table.dns tr.changed'), /example\.test\. MX\s*TTL 31: 10 mail1\.example\.test\.\s*TTL 30: 10 mail1\.example\.test\./);
    await shows(migration.locator('.timer'), 'next pre-sync or the migration hour');

    // The approver's comment is text in the audit log; nothing in it ran.
    await shows(migration.locator('.audit li.approval'), `gate start by operator (update): "${hostileComment}"`);
    expect(await migration.locator('.audit img').count()).toBe(0);
    expect(await page.evaluate('window.__ran')).toBeUndefined();

    await page.screenshot({ path: screenshotPath('dashboard.png', true), fullPage: true });
  } finally {
    await page.close();
    await env.client.workflow
      .getHandle(workflowId)
      .terminate('browser test done')
      .catch(() => undefined);
    await worker.stop();
  }
});
