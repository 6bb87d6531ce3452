// The spec's rules across fields: what each scenario needs and refuses, mailboxes named
// once, DNS names in the zone, the canary's and the mail hold's addresses. Each problem
// names its field.
import type { z } from 'zod';
import { mailAddressOf } from './mail-address';
import type { SpecFields } from './spec';
import { serverKey } from './spec-fields';
import { holdAddress } from './spec-mail-flow';

/**
 * Mail held by address (mail-hold.ts) names every address of a wave in each look at an
 * MTA's queue, every 10 s until it is empty: past this many, those looks would fill the
 * runbook's history.
 */
export const MAX_HELD_ADDRESSES = 2_000;

export function specRules(spec: SpecFields, ctx: z.RefinementCtx): void {
  const issue = (path: PropertyKey[], message: string) => ctx.addIssue({ code: 'custom', path, message });
  // mailboxList is read into mailboxes before this (activities/spec.ts): mailboxes it is.
  if (!spec.mailboxes) {
    issue(['mailboxes'], 'required: list the mailboxes here, or name a file in mailboxList');
    return;
  }
  const mailboxes = spec.mailboxes;
  const seen = (key: (m: (typeof mailboxes)[number]) => string, field: 'source' | 'destination') => {
    const first = new Map<string, number>();
    mailboxes.forEach((m, i) => {
      const k = key(m);
      const j = first.get(k);
      if (j === undefined) first.set(k, i);
      else issue(['mailboxes', i, field, 'user'], `duplicate of mailboxes[${j}]: ${k}`);
    });
  };
  seen((m) => m.source.user.toLowerCase(), 'source');
  seen((m) => `${(m.destination.server ?? spec.host2).host.toLowerCase()}/${m.destination.user.toLowerCase()}`, 'destination');
  if (spec.scenario === 'lucky') {
    if (!spec.dns.imapHost) {
      issue(['dns', 'imapHost'], 'the lucky scenario moves the IMAP host name: give its record');
    }
    for (const side of ['host1', 'host2'] as const) {
      if (!spec[side].syncAddress) {
        issue([side, 'syncAddress'], 'the lucky scenario syncs by address, since the host name moves');
      }
    }
    if (spec.host1.host.toLowerCase() !== spec.host2.host.toLowerCase()) {
      issue(['host2', 'host'], 'the lucky scenario keeps the same host name on both sides');
    }
  }
  if (spec.scenario === 'mx-first') {
    // No wave is cut over: host1 stays readable while old mail is back-filled.
    if (spec.access.method !== 'notify-only') {
      issue(['access', 'method'], 'the mx-first scenario leaves host1 readable and cuts no access: leave access out');
    }
    if (spec.mailFlow.hold) {
      issue(['mailFlow', 'hold'], 'the mx-first scenario moves the MX first: no cut-over holds mail, leave mailFlow.hold out');
    }
  }
  if (spec.access.method === 'dns' && !spec.dns.imapHost?.parkedAddresses?.length) {
    issue(['dns', 'imapHost', 'parkedAddresses'], 'cutting access by DNS needs the address to park the IMAP host name on');
  }
  if (spec.dns.restoreTtl !== undefined && spec.dns.lowTtl >= spec.dns.restoreTtl) {
    issue(['dns', 'lowTtl'], 'must be lower than dns.restoreTtl');
  }
  const inZone = (n: string) => {
    const name = n.toLowerCase().replace(/\.$/, '');
    const zone = spec.dns.zone.toLowerCase().replace(/\.$/, '');
    return name === zone || name.endsWith(`.${zone}`);
  };
  const canary = spec.mailFlow.canary;
  if (canary) {
    if (canary.mailbox && !spec.mailboxes.some((m) => m.source.user === canary.mailbox)) {
      issue(['mailFlow', 'canary', 'mailbox'], 'names no mailbox of this migration');
    }
    const domain = spec.dns.mx.name.toLowerCase().replace(/\.$/, '');
    if (canary.address && canary.address.toLowerCase().split('@')[1] !== domain) {
      issue(['mailFlow', 'canary', 'address'], `must be an address at ${domain}, whose MX the runbook switches`);
    }
    if (spec.dns.provider.kind === 'powerdns' && !spec.dns.checkResolvers.length) {
      issue(['dns', 'checkResolvers'], 'the canary asks DNS for the MX: list a resolver (the PowerDNS API answers no DNS queries)');
    }
  }
  if (spec.mailFlow.hold) {
    spec.mailboxes.forEach((m, i) => {
      if (!holdAddress.safeParse(mailAddressOf(m.source.user, spec.dns.mx.name)).success) {
        issue(['mailboxes', i, 'source', 'user'], 'mailFlow.hold needs a plain address (or a plain name at dns.mx.name) here');
      }
    });
    const perWave = new Map<string, number>();
    for (const m of spec.mailboxes) perWave.set(m.wave, (perWave.get(m.wave) ?? 0) + 1);
    for (const [wave, n] of perWave) {
      if (n > MAX_HELD_ADDRESSES)
        issue(['mailFlow', 'hold'], `holds a wave's mail by address, at most ${MAX_HELD_ADDRESSES} a wave: wave ${wave} has ${n}; split it`);
    }
  }
  if (spec.scenario === 'hold-and-release') {
    if (!spec.mailFlow.holdingRelay) {
      issue(
        ['mailFlow', 'holdingRelay'],
        'the hold-and-release scenario points the MX to a holding relay: give it (its MX records and how it holds and releases)',
      );
    }
    if (spec.mailFlow.hold) {
      issue(['mailFlow', 'hold'], 'the hold-and-release scenario holds mail on its relay, not on host1 per wave: leave it out');
    }
    if (spec.mailFlow.holdingRelay?.host1Queue && spec.mailboxes.length > MAX_HELD_ADDRESSES) {
      issue(
        ['mailFlow', 'holdingRelay', 'host1Queue'],
        `reads host1's queue by address, at most ${MAX_HELD_ADDRESSES} of them: this migration has ${spec.mailboxes.length} mailboxes; split it, or leave host1Queue out`,
      );
    }
    if (spec.access.method === 'dns') {
      issue(['access', 'method'], 'the hold-and-release scenario parks no IMAP host name: cut access another way');
    }
    // The relay holds the MX name's domain: a mailbox at another domain would get its mail elsewhere, unheld.
    const domain = spec.dns.mx.name.toLowerCase().replace(/\.$/, '');
    spec.mailboxes.forEach((m, i) => {
      const address = mailAddressOf(m.source.user, spec.dns.mx.name);
      if (address.toLowerCase().split('@').at(-1) !== domain) {
        issue(['mailboxes', i, 'source', 'user'], `the holding relay holds mail for ${domain} only: ${address} is not there`);
      } else if (spec.mailFlow.holdingRelay?.host1Queue && !holdAddress.safeParse(address).success) {
        issue(
          ['mailboxes', i, 'source', 'user'],
          "mailFlow.holdingRelay.host1Queue needs a plain address (or a plain name at dns.mx.name) here: host1's queue is read by address",
        );
      }
    });
  }
  // One server on both sides: a mailbox holds a connection to each side at once.
  const tooFew = (host2: SpecFields['host2']) =>
    serverKey(spec.host1) === serverKey(host2) && Math.min(spec.host1.maxConnections ?? Infinity, host2.maxConnections ?? Infinity) < 2;
  const oneServer = 'host1 and host2 are one server here: a sync holds a connection to each side, so at least 2';
  if (tooFew(spec.host2)) issue(['host2', 'maxConnections'], oneServer);
  spec.mailboxes.forEach((m, i) => {
    if (m.destination.server && tooFew(m.destination.server)) issue(['mailboxes', i, 'destination', 'server', 'maxConnections'], oneServer);
  });
  if (!inZone(spec.dns.mx.name)) issue(['dns', 'mx', 'name'], `is not in zone ${spec.dns.zone}`);
  if (spec.dns.imapHost && !inZone(spec.dns.imapHost.name)) {
    issue(['dns', 'imapHost', 'name'], `is not in zone ${spec.dns.zone}`);
  }
}
