/** The message fields a component sets and a request may override (Dapr's metadata names). */
export interface MailFields {
  emailFrom?: string;
  emailTo?: string;
  emailCC?: string;
  emailBCC?: string;
  subject?: string;
  priority: number;
}

/** What one `create` call sends: addresses split, every required field present. */
export interface ResolvedMail {
  from: string;
  to: string[];
  cc: string[];
  bcc: string[];
  subject: string;
  priority: number;
}

const overridable = ['emailFrom', 'emailTo', 'emailCC', 'emailBCC', 'subject'] as const;

/** Dapr's range: 1 (highest) to 5 (lowest). */
export function checkPriority(value: number, where: string): number {
  if (!Number.isInteger(value) || value < 1 || value > 5) throw new Error(`${where} 'priority': must be a whole number from 1 (highest) to 5 (lowest), got ${value}`);
  return value;
}

/**
 * The component's fields with the request's non-empty ones on top, for this request only (Dapr
 * writes them into the component's settings, so one request's recipients leak into the next;
 * Mecha does not). Addresses are separated by `;`, as in Dapr.
 */
export function resolveMail(defaults: MailFields, request: Readonly<Record<string, string>>): ResolvedMail {
  const merged: MailFields = { ...defaults };
  for (const field of overridable) {
    const value = request[field];
    if (value !== undefined && value !== '') merged[field] = value;
  }
  const priorityText = request['priority'];
  if (priorityText !== undefined && priorityText !== '') {
    if (!/^\s*[+-]?\d+\s*$/.test(priorityText)) throw new Error(`request metadata 'priority': must be a whole number from 1 (highest) to 5 (lowest), got '${priorityText}'`);
    merged.priority = checkPriority(Number(priorityText), 'request metadata');
  }
  for (const field of ['emailFrom', 'emailTo', 'subject'] as const) {
    if (!merged[field]) throw new Error(`'${field}' is set neither in the component metadata nor in the request metadata`);
  }
  return {
    from: merged.emailFrom!,
    to: addresses(merged.emailTo),
    cc: addresses(merged.emailCC),
    bcc: addresses(merged.emailBCC),
    subject: merged.subject!,
    priority: merged.priority,
  };
}

function addresses(list: string | undefined): string[] {
  return (list ?? '')
    .split(';')
    .map((address) => address.trim())
    .filter((address) => address !== '');
}
