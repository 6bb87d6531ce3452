// The holding relay of scenario hold-and-release: a second MTA the MX points to while every
// mailbox gets its final sync. It holds all mail for the domain (one `HOLD` entry for the
// domain in the map smtpd checks at RCPT time: a domain key matches every address at it,
// recipe §6), and releases it to host2 once every mailbox is verified, or back to host1 on
// rollback (a transport entry for the domain, the hold removed, held mail released and the
// queue flushed). Each is idempotent, as the per-wave hold on host1's MTA is (hold.ts),
// whose map and Postfix helpers it uses.
import path from 'node:path';
import { HOLD_ACTION, parse } from './hold';
import { updateMap } from './hold-map';
import {
  relayInput,
  relayReleaseInput,
  type HoldingRelayConfig,
  type MailHoldReport,
  type QueuedFor,
  type RelayInput,
  type RelayReleaseInput,
} from './hold-schema';
import { applyMaps, checkWiring, listQueue, releaseHeld } from './postfix';

function maps(relay: HoldingRelayConfig) {
  return {
    holdMap: relay.holdMap ?? path.join(relay.configDir, 'mailshift-hold'),
    transportMap: relay.transportMap ?? path.join(relay.configDir, 'mailshift-transport'),
  };
}

const atDomain = (domain: string) => (address: string) => address.endsWith(`@${domain.toLowerCase()}`);

/** From now on the relay holds every message for the domain (refused when its main.cf does not consult the maps). */
export async function holdDomainMail(raw: RelayInput): Promise<MailHoldReport> {
  const { relay, domain } = parse(relayInput, raw, 'hold domain mail');
  const { holdMap, transportMap } = maps(relay);
  await checkWiring(relay.configDir, holdMap, transportMap);
  const changed = await updateMap(holdMap, new Map([[domain.toLowerCase(), HOLD_ACTION]]));
  if (changed) await applyMaps(relay.configDir, [holdMap]);
  return { changed, released: 0 };
}

/** What the relay's queue holds for the domain: held, and pending (not yet delivered, not held). */
export async function relayQueue(raw: RelayInput): Promise<QueuedFor> {
  const { relay, domain } = parse(relayInput, raw, 'relay queue');
  const ours = (await listQueue(relay.configDir)).filter((m) => m.recipients.some(atDomain(domain)));
  const held = ours.filter((m) => m.queue === 'hold').length;
  return { held, pending: ours.length - held };
}

/** Routes the domain to host2 (or host1), removes its hold and releases its held mail. */
export async function releaseDomainMail(raw: RelayReleaseInput): Promise<MailHoldReport> {
  const { relay, domain, to } = parse(relayReleaseInput, raw, 'release domain mail');
  const { holdMap, transportMap } = maps(relay);
  const key = domain.toLowerCase();
  const routed = await updateMap(transportMap, new Map([[key, to === 'host2' ? relay.host2Transport : relay.host1Transport]]));
  const unheld = await updateMap(holdMap, new Map([[key, null]]));
  if (routed || unheld) await applyMaps(relay.configDir, [transportMap, holdMap]);
  const ids = (await listQueue(relay.configDir)).filter((m) => m.queue === 'hold' && m.recipients.some(atDomain(domain))).map((m) => m.id);
  if (ids.length) await releaseHeld(relay.configDir, ids);
  return { changed: routed || unheld, released: ids.length };
}
