// DNS activities (functions only: the worker registers everything exported here).
// Types, schemas and providers live in ./operations, ./propagation, ./provider-config.
export { readRecords, replaceRecords } from './operations';
export { checkPropagation } from './propagation';
