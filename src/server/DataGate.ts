import { ErrorCode } from '../protocol/codes';
import type { ClientSendMessage } from '../protocol/messages';
import { describeIssues, type DataIssue } from '../schemas/DataIssue';
import { schemaOf, type EventSchemas } from '../schemas/EventSchemas';
import { validateEventData, type DataCheck } from '../schemas/validateEventData';

/** Why the gate refused a message: what goes into the error reply and the `errors$` report. */
export interface DataRefusal {
  readonly ok: false;
  readonly code: typeof ErrorCode.BadData | typeof ErrorCode.UnknownEvent;
  readonly message: string;
  readonly issues: DataIssue[];
  readonly error?: unknown;
}

const MAX_MESSAGE = 500;

/**
 * The server's data check (the `schemas` option): every incoming event's data is validated against its id's
 * `data` schema before the core dispatches it. An id without an entry passes unchecked, or with `strict` is
 * refused (`CHSK_UNKNOWN_EVENT`); an entry without `data` means the event carries none.
 */
export class DataGate {
  constructor(
    private readonly schemas: EventSchemas,
    private readonly strict: boolean,
  ) {}

  /** The check of one message: the validated data, or why it is refused; a Promise when its validator is async. */
  readonly check = (m: ClientSendMessage): { ok: true; value: unknown } | DataRefusal | Promise<{ ok: true; value: unknown } | DataRefusal> => {
    const id = m.ev[0];
    const data = m.ev[1];
    const entry = schemaOf(this.schemas, id);
    if (!entry) {
      if (!this.strict) return { ok: true, value: data };
      return { ok: false, code: ErrorCode.UnknownEvent, message: `no schema for event "${clip(id)}" (the server is strict)`, issues: [] };
    }
    if (!entry.data) {
      if (data === undefined) return { ok: true, value: undefined };
      return refusal(id, { ok: false, issues: [{ message: 'this event carries no data', path: [] }] });
    }
    const r = validateEventData(entry.data, data);
    return r instanceof Promise ? r.then((c) => (c.ok ? c : refusal(id, c))) : r.ok ? r : refusal(id, r);
  };
}

const clip = (s: string): string => (s.length > 64 ? `${s.slice(0, 63)}…` : s);

function refusal(id: string, c: Extract<DataCheck, { ok: false }>): DataRefusal {
  const text = `invalid data for "${clip(id)}": ${describeIssues(c.issues)}`;
  return {
    ok: false,
    code: ErrorCode.BadData,
    message: text.length > MAX_MESSAGE ? `${text.slice(0, MAX_MESSAGE - 1)}…` : text,
    issues: c.issues,
    ...(c.error !== undefined ? { error: c.error } : {}),
  };
}
