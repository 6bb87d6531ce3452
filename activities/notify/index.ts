// Notifications: what the runbook tells users and approvers, by email and webhook.
// Only activity functions are exported here (the worker registers everything this
// exports); schemas and types live in ./schema, templates in ./render.
export { sendNotice } from './send-notice';
