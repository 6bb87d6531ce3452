// Every workflow the mailshift worker runs.
export { classicalMigration } from './classical-migration';
export { holdAndReleaseMigration } from './hold-and-release-migration';
export { luckyMigration } from './lucky-migration';
export { mxFirstMigration } from './mx-first-migration';
export { mailboxRound, mailboxRoundPage } from './mailbox-round';
export { noticePage, noticeRound } from './notice-round';
