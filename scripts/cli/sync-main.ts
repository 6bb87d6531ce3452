// The entry of `mailshift sync`'s bundle (scripts/build-sync.ts): the command, then its exit code.
import { runSyncCommand } from './sync';

runSyncCommand(process.argv.slice(2));
