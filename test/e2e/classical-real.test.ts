// A whole classical migration with the REAL activities against real servers: two
// Dovecot (host1 `INBOX.`/`.`, host2 `/`), Knot taking TSIG updates, the MX hosts'
// Postfix, an SMTP receiver. The new MX host first still points to host1's Postfix: the
// canary finds the mail flow wrong, the operator fixes DNS and retries it.
// Temporal's time-skipping server skips the TTL waits and the days of pre- and
// post-syncs; every IMAP, DNS, SMTP and deny-list operation happens for real.
import { Worker } from '@temporalio/worker';
import * as activities from '../../activities';
import { replaceRecords } from '../../activities/dns';
import { demoUsers } from '../../scripts/sandbox/demo-mailboxes';
import { demoSpec } from '../../scripts/sandbox/demo-spec';
import { classicalMigration } from '../../workflows/classical-migration';
import { dig } from '../dns/dig';
import { approveUpdate } from '../../workflows/gates';
import { demoZoneRecords, mxAddresses } from '../../scripts/sandbox/layout';
import { approveWhenOpen, until, workflowBundle } from '../workflows/harness';
import { canLogIn, isCanary, messages, startRealWorld, type RealWorld } from './real-world';
import { noticesTo, spokenTime } from './received-notices';

jest.setTimeout(240_000);
let w: RealWorld;
beforeAll(async () => {
  // mail2, the new MX host, still has host1's MX address.
  w = await startRealWorld({ zoneRecords: demoZoneRecords.replace(`mail2 600 IN A ${mxAddresses.mail2}`, `mail2 600 IN A ${mxAddresses.mail1}`) });
});
afterAll(() => w?.stop());

it('moves every mailbox, switches the MX, locks users out of host1 and tells everyone', async () => {
  const { host1, host2, knot, smtp, env, passwords, servers } = w;
  const before = Object.fromEntries(await Promise.all(demoUsers.map(async (u) => [u, await messages(host1, u, passwords[`host1-${u}`])] as const)));
  expect(before.alice.length).toBe(8);
  const mxBefore = await dig(knot.port, 'example.test', 'MX');

  const taskQueue = 'e2e-classical';
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: await workflowBundle(), activities });
  const spec = demoSpec('classical', new Date((await env.currentTimeMs()) + 2 * 86_400_000), servers);

  await worker.runUntil(async () => {
    const handle = await env.client.workflow.start(classicalMigration, { taskQueue, workflowId: 'e2e-classical', args: [spec] });
    await approveWhenOpen(env, handle, 'start');
    await approveWhenOpen(env, handle, 'cutover', 'friendly-users');
    const cutAt: Record<string, number> = { alice: await env.currentTimeMs() }; // the wave's cut-over notice goes out now
    expect(await canLogIn(host1, 'bob', passwords['host1-bob'])).toBe(true); // wave 2 not cut yet
    await approveWhenOpen(env, handle, 'cutover', 'everyone');
    cutAt.bob = cutAt.carol = await env.currentTimeMs();
    await approveWhenOpen(env, handle, 'switch-mx');
    // DNS says mail2, but mail2 is host1's MTA: the canary lands on host1 and the runbook stops.
    const stopped = await until(env, handle, (s) => s.openGate === 'canary');
    expect(stopped.canary).toMatch(/landed on host1, not host2: mail2\.example\.test\. \(127\.0\.0\.1:\d+\) took it \(250 /);
    const mail2 = (address: string) => ({ name: 'mail2.example.test.', type: 'A', ttl: 600, values: [address] });
    const provider = { kind: 'rfc2136' as const, server: '127.0.0.1', port: knot.port, tsigKey: `file:${knot.keyFile}` };
    await replaceRecords({ provider, zone: 'example.test', expected: mail2(mxAddresses.mail1), next: mail2(mxAddresses.mail2) });
    await handle.executeUpdate(approveUpdate, { args: [{ gate: 'canary', by: 'operator', decision: 'retry' }] });
    const report = await handle.result();

    expect(report.outcome).toBe('completed');
    expect(report.rounds.flatMap((r) => r.failed)).toEqual([]);

    // Every message on host2, with its flags and date, exactly once.
    for (const u of demoUsers) {
      const onHost2 = await messages(host2, u, passwords[`host2-${u}`]);
      const strip = (ms: typeof onHost2) => ms.map(({ folder, id, flags, date, size }) => ({ folder, id, flags, date, size }));
      expect(strip(onHost2.filter((m) => !isCanary(m)))).toEqual(strip(before[u]));
      // Both canaries: the second through mx2, the first post-synced from host1's INBOX.
      expect(onHost2.filter(isCanary).map((m) => m.folder)).toEqual(u === 'alice' ? ['INBOX', 'INBOX'] : []);
    }

    // DNS: the MX points to host2 and the TTL is back to what it was before.
    const mx = await dig(knot.port, 'example.test', 'MX');
    expect(mxBefore.ttl).toBeGreaterThan(300);
    expect(mx).toMatchObject({ ttl: mxBefore.ttl, values: [expect.stringMatching(/^10 mail2\.example\.test\.?$/)] });
    expect(report.audit.filter((e) => e.kind === 'dns').map((e) => e.step)).toEqual(['lower TTL', 'switch MX', 'restore TTL']);

    // Users are locked out of host1; the admin still gets in.
    for (const u of demoUsers) expect(await canLogIn(host1, u, passwords[`host1-${u}`])).toBe(false);
    expect(await canLogIn(host1, 'alice*admin', passwords['host1-admin'])).toBe(true);

    // What each user really received, in order: the new settings before the notice that points to them.
    for (const u of demoUsers) {
      const got = noticesTo(smtp, `${u}@home.example.test`);
      expect(got.map((n) => n.subject)).toEqual([
        expect.stringMatching(/^Your email is moving to a new server on \w+day /),
        'Please stop using your email now: the move has started',
        'Your new email settings',
        'Your old mail server is no longer in use',
        'Your email move is complete',
      ]);
      const [advance, cutover, , oldServer] = got;
      // Nothing is measured when the advance notice goes out: no duration is invented.
      expect(advance.text).not.toMatch(/takes about|for about|a few hours/);
      // At cut-over: the last pre-sync's time in words, and a deadline with a margin after the send time.
      expect(cutover.text).toMatch(/This takes about (a minute|\d+ minutes|an hour( and a half)?|[\d.]+ hours|\d+ days)\./);
      if (u === 'alice') {
        // The first wave: the next message waits for the other waves' gates, so no deadline is promised.
        expect(cutover.text).toMatch(/Other groups of users move after you/);
        expect(cutover.text).not.toMatch(/If you have not heard from us by/);
      } else {
        const deadline = spokenTime(/If you have not heard from us by (.*?\)),/.exec(cutover.text)![1]);
        expect(deadline - cutAt[u]).toBeGreaterThanOrEqual(3_600_000);
      }
      expect(oldServer.text).toMatch(/The old server, 127\.0\.0\.1, is no longer in use/);
      expect(got.map((n) => n.text).join('\n')).not.toMatch(/switched off/);
    }
    // The approvers: each gate, the cut-over gates by wave.
    expect(noticesTo(smtp, 'operator@example.test').map((n) => n.subject)).toEqual([
      '[mailshift] sandbox-classical: the "start" gate is waiting for your approval',
      '[mailshift] sandbox-classical: the "cutover" gate of wave friendly-users is waiting for your approval',
      '[mailshift] sandbox-classical: the "cutover" gate of wave everyone is waiting for your approval',
      '[mailshift] sandbox-classical: the "switch-mx" gate is waiting for your approval',
      '[mailshift] sandbox-classical: the "canary" gate is waiting for your approval',
    ]);
    // Each user's credentials notice names their own login, never a password.
    const credentials = smtp.received.filter(
      (m) => m.envelope.to.length === 1 && /alice@home/.test(m.envelope.to[0]) && /user name|login|credentials/i.test(m.parsed.text ?? ''),
    );
    expect(credentials.length).toBeGreaterThanOrEqual(1);
    const allMail = smtp.received.map((m) => m.raw.toString()).join('\n');
    const history = JSON.stringify(await handle.fetchHistory());
    for (const secret of [...Object.values(passwords), knot.key.secret]) {
      expect(allMail).not.toContain(secret);
      expect(history).not.toContain(secret);
    }
  });
});
