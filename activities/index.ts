// Every activity the mailshift worker registers. Workflows import these as types only.
export * from './imap';
export * from './dns';
export * from './notify';
export * from './access';
export * from './provisioning';
export * from './mail-flow';
export * from './spec';
export * from './mailbox-pages';
