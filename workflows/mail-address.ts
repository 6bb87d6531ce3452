// Which address host1's MTA receives a mailbox's mail at (a plain module: the spec's checks
// and the workflow's mail hold both use it, and workflow code must not bundle the schema).

/** The host1 user when it is an address, else user@<the MX record's domain>. */
export const mailAddressOf = (user: string, mxName: string): string => (user.includes('@') ? user : `${user}@${mxName.replace(/\.$/, '')}`);
