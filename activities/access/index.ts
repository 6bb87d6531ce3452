// Cutting and restoring users' access to host1. Only activity functions are exported
// here (the worker registers everything this exports); schemas and types live in ./schema.
export { cutAccess, restoreAccess } from './change-access';
export { closeSessions } from './close-sessions';
