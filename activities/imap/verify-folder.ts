// Compares both sides of one folder by message identity without changing anything: what
// verifyMailbox reports per folder.
import { readState, WARNINGS_KEPT, type FolderSettings } from './folder-listing';
import type { FolderPair } from './folder-plan';
import type { MessageSummary } from './inventory';
import { matchMessages } from './message-plan';
import type { ProgressReporter } from './progress';
import type { ImapSession } from './session';
import { judgedAsOf } from './source-marks';
import type { FolderVerifyResult, MessageRef, SourceMark } from './types';

function ref(m: MessageSummary): MessageRef {
  return { uid: m.uid, messageId: m.messageId, size: m.size, internalDate: new Date(m.internalDate).toISOString() };
}

/**
 * Compares both sides of one folder without changing anything. With `asOf` (marks by
 * folder), only host1 messages that existed at the marks are judged (missing, source
 * count, flags); extra is still host2's messages that match no host1 message at all: a
 * copy of a message that arrived after the mark (the sync listed it, so it copied it) is
 * not extra.
 */
export async function verifyFolder(
  pair: FolderPair,
  src: ImapSession,
  dst: ImapSession,
  settings: FolderSettings,
  progress: ProgressReporter,
  asOf?: Map<string, SourceMark>,
): Promise<FolderVerifyResult> {
  progress.update({ phase: 'messages', folder: pair.logical }, true);
  const state = await readState(pair, src, dst, { ...settings, dryRun: true }, !!pair.existing, () => progress.add({}), { identity: 'always' });
  const all = matchMessages(state.source, state.destination);
  const judged = asOf && judgedAsOf(pair, state.sources, state.source, asOf);
  const plan = judged ? matchMessages(judged.messages, state.destination) : all;
  const source = judged ? judged.messages : state.source;
  const bytes = (ms: MessageSummary[]) => ms.reduce((n, m) => n + m.size, 0);
  const largest = (ms: MessageSummary[]) => ms.reduce((n, m) => Math.max(n, m.size), 0);
  return {
    source: pair.sources.map((s) => s.logical),
    destination: pair.logical,
    destinationPath: pair.path,
    existsOnDestination: !!pair.existing,
    sourceMessages: judged ? judged.messages.length : state.source.length,
    destinationMessages: state.destination.length,
    missing: plan.toCopy.length,
    extra: all.extra.length,
    flagMismatches: plan.flagUpdates.length,
    sourceBytes: bytes(source),
    missingBytes: bytes(plan.toCopy),
    largest: largest(source),
    largestMissing: largest(plan.toCopy),
    ...(settings.messageLimit !== undefined && { tooLarge: plan.toCopy.filter((m) => m.size > settings.messageLimit!).length }),
    missingSample: plan.toCopy.slice(0, WARNINGS_KEPT).map(ref),
    extraSample: all.extra.slice(0, WARNINGS_KEPT).map(ref),
    ...(judged?.afterMark && { afterMark: true }),
  };
}
