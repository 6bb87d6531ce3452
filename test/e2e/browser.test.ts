// The operator's way in, in a real browser: Debian's chromium (driven by playwright-core;
// no browser is ever downloaded) opens the dev server's Web UI, starts a classical
// migration through the Start Workflow form with the JSON the README and the sandbox
// give, approves gate `start` from the workflow page's Signal dialog, and the workflow
// passes that gate. Activities are faked here: the UI path is what is under test.
import type { Browser, Page } from 'playwright-core';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { launchChromium } from '../harness/chromium';
import { createLocalEnv } from '../harness/temporal';
import { screenshotPath } from '../harness/screenshots';
import { freePorts } from '../../scripts/servers/process';
import { demoSpec } from '../../scripts/sandbox/demo-spec';
import { migrationSummary } from '../../scripts/cli/summary';
import { statusQuery, type MigrationStatus } from '../../workflows/status';
import { fakeWorld } from '../workflows/fakes';
import { startWorker } from '../workflows/harness';

jest.setTimeout(180_000);
let env: TestWorkflowEnvironment;
let ui: string;
let browser: Browser;

beforeAll(async () => {
  const [port, uiPort] = await freePorts(2);
  env = await createLocalEnv({ port, uiPort });
  ui = `http://127.0.0.1:${uiPort}`;
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await env?.teardown();
});

/** Fills a CodeMirror JSON editor of the UI (inserted as text: no auto-closed brackets). */
async function fillJson(page: Page, json: unknown) {
  await page.locator('.cm-content >> visible=true').first().click();
  await page.keyboard.insertText(JSON.stringify(json));
}

async function waitForStatus(workflowId: string, ready: (s: MigrationStatus) => boolean): Promise<MigrationStatus> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const s = await env.client.workflow
      .getHandle(workflowId)
      .query(statusQuery)
      .catch(() => undefined);
    if (s && ready(s)) return s;
    if (Date.now() > deadline) throw new Error(`workflow ${workflowId} never reached the expected state; last phase ${s?.phase}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

it('starts a migration from the Start Workflow form and approves a gate from the Signal dialog', async () => {
  const worker = await startWorker(env, fakeWorld([{ name: 'example.test.', type: 'MX', ttl: 86400, values: ['10 mail1.example.test.'] }]));
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  try {
    const workflowId = `ui-${Date.now()}`;
    const spec = demoSpec('classical', new Date(Date.now() + 86_400_000));
    // The deep link the sandbox prints fills in the form.
    await page.goto(`${ui}/namespaces/default/workflows/start-workflow?workflowType=classicalMigration&taskQueue=${worker.taskQueue}&workflowId=${workflowId}`);
    await fillJson(page, spec);
    // The summary the sandbox prints for More options → Summary.
    await page.locator('button:has-text("More options") >> visible=true').first().click();
    await page.locator('.cm-content >> visible=true').nth(1).click();
    await page.keyboard.insertText(migrationSummary(spec));
    await page.locator('button:has-text("Start Workflow") >> visible=true').first().click();
    const opened = await waitForStatus(workflowId, (s) => s.openGate === 'start');
    expect(opened.name).toBe('sandbox-classical');

    await page.goto(`${ui}/namespaces/default/workflows/${workflowId}`);
    // The Summary given at start and the Current Details the runbook keeps: phase, gate, approve input.
    await page.locator('text=User Metadata >> visible=true').first().click();
    // The UI renders each Markdown text in its own frame: the summary's, then the details'.
    const [summary, details] = [0, 1].map((i) => page.locator('iframe[title=output]').nth(i).contentFrame());
    await summary.getByText(migrationSummary(spec)).waitFor({ state: 'visible' });
    await details.locator('strong', { hasText: /^waiting for start$/ }).waitFor({ state: 'visible' });
    await details.locator('code', { hasText: '{"gate":"start","by":"<approver>"}' }).waitFor({ state: 'visible' });
    await page.screenshot({ path: screenshotPath('web-ui-summary-and-details.png', true) });
    await page.locator('button:has-text("More Actions") >> visible=true').first().click();
    await page.locator('text=Send a Signal >> visible=true').first().click();
    await page.locator('[data-testid=signal-select-button] >> visible=true').first().click();
    // Each control the workflow defines is offered (locators wait until the list has rendered).
    const option = (name: string) =>
      page
        .locator('[role=option] >> visible=true')
        .filter({ hasText: new RegExp(`^\\s*${name}\\b`) })
        .first();
    for (const name of ['approve', 'rollback', 'pause', 'resume']) await option(name).waitFor({ state: 'visible' });
    await option('approve').click();
    await fillJson(page, { gate: 'start', by: 'operator', comment: 'approved in the Web UI' });
    // The first click may only leave the editor (it reformats the JSON); then it submits and the dialog closes.
    const submit = page.locator('button:has-text("Submit") >> visible=true').first();
    for (let i = 0; i < 3 && (await submit.isVisible()); i++) {
      await submit.click({ force: true });
      await submit.waitFor({ state: 'hidden', timeout: 5_000 }).catch(() => undefined);
    }
    const passed = await waitForStatus(workflowId, (s) => s.audit.some((e) => e.kind === 'approval' && e.gate === 'start'));
    expect(passed.audit.find((e) => e.kind === 'approval')).toMatchObject({ gate: 'start', by: 'operator', via: 'signal', comment: 'approved in the Web UI' });
    expect(passed.openGate).not.toBe('start');
    await page.reload();
    await page.getByText(workflowId).first().waitFor({ state: 'visible' });
    await page.screenshot({ path: screenshotPath('gate-start-approved.png') });
    await env.client.workflow.getHandle(workflowId).terminate('browser test done');
  } finally {
    await page.close();
    await worker.stop();
  }
});
