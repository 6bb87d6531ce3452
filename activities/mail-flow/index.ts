// Mail-flow activities (functions only: the worker registers everything exported here).
export { sendCanary } from './send-canary';
export { findCanary } from './find-canary';
export { holdMail, mailQueue, releaseMail } from './hold';
export { holdDomainMail, relayQueue, releaseDomainMail } from './relay';
