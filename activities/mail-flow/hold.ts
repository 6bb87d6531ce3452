// Holding a wave's incoming mail on host1's MTA while its final sync runs, and releasing it
// to host2 afterwards (or back to host1 on rollback). Each is idempotent: a retry finds its
// map entries in place and releases whatever is still held for the addresses.
//  - hold: a `HOLD` entry per address in the map smtpd checks at RCPT time. Postfix holds
//    the whole message, so mail to a held and an unheld user waits too; on release each
//    recipient goes where the transport maps send it.
//  - release to host2: a transport entry per address (host2's delivery), the hold entries
//    removed, then their held messages released and the queue flushed. A message also held
//    for an address outside the release (another wave) stays held until that one's release.
//  - release to host1: hold and transport entries removed, held messages released.
import path from 'node:path';
import type { z } from 'zod';
import { ApplicationFailure } from '@temporalio/activity';
import { mapKeys, updateMap } from './hold-map';
import {
  mailHoldInput,
  mailQueueInput,
  releaseInput,
  type MailHoldConfig,
  type MailHoldInput,
  type MailHoldReport,
  type MailQueueInput,
  type QueuedFor,
  type ReleaseInput,
} from './hold-schema';
import { changeProvidedHold, queueOfProvidedHold } from './hold-providers';
import { applyMaps, checkWiring, listQueue, releaseHeld, type QueuedMessage } from './postfix';

export const HOLD_ACTION = 'HOLD held by mailshift for the migration';

export function parse<S extends z.ZodType>(schema: S, raw: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(input)'}: ${i.message}`);
  throw ApplicationFailure.nonRetryable(`invalid ${what} request: ${problems.join('; ')}`, 'InvalidMailHoldRequest');
}

function maps(hold: Extract<MailHoldConfig, { provider: 'postfix' }>) {
  return {
    holdMap: hold.holdMap ?? path.join(hold.configDir, 'mailshift-hold'),
    transportMap: hold.transportMap ?? path.join(hold.configDir, 'mailshift-transport'),
  };
}

const lower = (addresses: string[]) => [...new Set(addresses.map((a) => a.toLowerCase()))];
const forAny = (m: QueuedMessage, addresses: Set<string>) => m.recipients.some((r) => addresses.has(r));

/** Holds new mail for the addresses from now on (mail already delivered stays where it is). */
export async function holdMail(raw: MailHoldInput): Promise<MailHoldReport> {
  const { hold, addresses } = parse(mailHoldInput, raw, 'hold mail');
  if (hold.provider !== 'postfix') return changeProvidedHold(hold, 'hold', lower(addresses));
  const { holdMap, transportMap } = maps(hold);
  await checkWiring(hold.configDir, holdMap, transportMap);
  const changed = await updateMap(holdMap, new Map(lower(addresses).map((a) => [a, HOLD_ACTION])));
  if (changed) await applyMaps(hold.configDir, [holdMap]);
  return { changed, released: 0 };
}

/** What the queue holds for the addresses: the cut-over waits until nothing is pending for them. */
export async function mailQueue(raw: MailQueueInput): Promise<QueuedFor> {
  const { hold, addresses } = parse(mailQueueInput, raw, 'mail queue');
  if (hold.provider !== 'postfix') return queueOfProvidedHold(hold, lower(addresses));
  const ours = (await listQueue(hold.configDir)).filter((m) => forAny(m, new Set(lower(addresses))));
  const held = ours.filter((m) => m.queue === 'hold').length;
  return { held, pending: ours.length - held };
}

/** Re-routes the addresses (to host2) or drops the re-route (host1), removes their hold and releases their held mail. */
export async function releaseMail(raw: ReleaseInput): Promise<MailHoldReport> {
  const { hold, addresses, to } = parse(releaseInput, raw, 'release mail');
  if (hold.provider !== 'postfix') return changeProvidedHold(hold, `release-${to}`, lower(addresses));
  const { holdMap, transportMap } = maps(hold);
  const wanted = lower(addresses);
  const routed = await updateMap(transportMap, new Map(wanted.map((a) => [a, to === 'host2' ? hold.host2Transport : null])));
  const unheld = await updateMap(holdMap, new Map(wanted.map((a) => [a, null])));
  if (routed || unheld) await applyMaps(hold.configDir, [transportMap, holdMap]);
  const stillHeld = await mapKeys(holdMap);
  const set = new Set(wanted);
  const ids = (await listQueue(hold.configDir))
    .filter((m) => m.queue === 'hold' && forAny(m, set) && !m.recipients.some((r) => stillHeld.has(r)))
    .map((m) => m.id);
  if (ids.length) await releaseHeld(hold.configDir, ids);
  return { changed: routed || unheld, released: ids.length };
}
