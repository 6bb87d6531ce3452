// Creating the mailboxes on host2. Only activity functions are exported here (the worker
// registers everything this exports); schemas and types live in ./schema.
export { provisionMailboxes } from './provision';
