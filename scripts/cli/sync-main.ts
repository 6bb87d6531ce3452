// The entry of `mailshift sync`'s bundle (scripts/build-sync.ts), and `tsx scripts/cli/sync-main.ts …`:
// the command, then its exit code (the dispatcher scripts/mailshift.ts calls syncCommand itself).
import { runSyncCommand } from './sync';

runSyncCommand(process.argv.slice(2));
