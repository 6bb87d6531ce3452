// DNS activities (functions only: the worker registers everything exported here).
export { checkPropagation, readRecords, replaceRecords } from './change-records';
