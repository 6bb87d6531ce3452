// What a sync request asks for: checked before anything is opened (a bad request fails
// once, naming the field, and is never retried), and the settings each folder is synced
// with, the tuning's defaults filled in.
import { ByteAllowance } from './byte-allowance';
import { invalidRequest } from './errors';
import { checkFolderRules } from './folder-plan';
import type { FolderSettings } from './folder-listing';
import { checkSourceMarks } from './source-marks';
import type { SyncRequest } from './types';

const DEFAULTS = { batchMessages: 50, batchBytes: 2 * 1024 * 1024, parallelFolders: 4 };

export function checkRequest(req: SyncRequest): void {
  if (!req.mailbox) throw invalidRequest('sync request without a mailbox label');
  for (const [name, value] of [
    ['maxAgeDays', req.maxAgeDays],
    ['minAgeDays', req.minAgeDays],
    ['maxSizeBytes', req.maxSizeBytes],
    ['destinationMaxMessageBytes', req.destinationMaxMessageBytes],
    ['maxBytes', req.maxBytes],
  ] as const) {
    if (value !== undefined && !(Number.isFinite(value) && value >= 0)) throw invalidRequest(`${req.mailbox}: ${name} must be a number >= 0`);
  }
  checkFolderRules(req.folders);
  checkSourceMarks(req.mailbox, req.asOf);
  const t = req.tuning ?? {};
  for (const [name, value, max] of [
    ['batchMessages', t.batchMessages, 1000],
    ['batchBytes', t.batchBytes, 1024 ** 3],
    ['parallelFolders', t.parallelFolders, 8],
  ] as const) {
    if (value !== undefined && !(Number.isInteger(value) && value >= 1 && value <= max)) {
      throw invalidRequest(`${req.mailbox}: tuning.${name} must be an integer from 1 to ${max}`);
    }
  }
}

/**
 * A sync skips (and reports) what host2's provider would refuse; a verification judges it,
 * so that preflight's size audit counts it unless the operator chose to leave it out.
 */
export function folderSettings(req: SyncRequest, now: number, verifying = false): FolderSettings {
  const maxSizeBytes = verifying ? req.maxSizeBytes : (req.maxSizeBytes ?? req.destinationMaxMessageBytes);
  return {
    filters: { maxAgeDays: req.maxAgeDays, minAgeDays: req.minAgeDays, maxSizeBytes, now },
    deleteOnDestination: req.deleteOnDestination,
    deleteOnSource: req.deleteOnSource,
    dryRun: !!req.dryRun,
    batchMessages: req.tuning?.batchMessages ?? DEFAULTS.batchMessages,
    batchBytes: req.tuning?.batchBytes ?? DEFAULTS.batchBytes,
    multiappend: req.tuning?.multiappend ?? true,
    ...(req.maxBytes !== undefined && { allowance: new ByteAllowance(req.maxBytes) }),
  };
}

/** Folders copied at once (a connection pair each). */
export function parallelFolders(req: SyncRequest): number {
  return req.tuning?.parallelFolders ?? DEFAULTS.parallelFolders;
}
