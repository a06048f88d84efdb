import { DataError } from '../errors/DataError';
import { ErrorCode } from '../protocol/codes';
import type { ServerBatchable } from '../protocol/messages';
import { describeIssues } from '../schemas/DataIssue';
import { schemaOf, type EventSchemas } from '../schemas/EventSchemas';
import type { StandardSchemaV1 } from '../schemas/StandardSchemaV1';
import { validateEventData, type DataCheck } from '../schemas/validateEventData';

/** The result of checking one incoming message: the value to deliver, or the error to deliver instead. */
export type ClientCheck = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: DataError };

const PASS: ClientCheck = { ok: true, value: undefined };

/**
 * The client's data check (`schemas`): a push's data against its id's `data` schema, a reply against the
 * `reply` schema of the request it answers, a stream item against the `stream` schema of its request. Ids without a schema pass unchecked,
 * except a push's when the client is `strict`: refused with `CHSK_UNKNOWN_EVENT`.
 */
export class ClientChecks {
  constructor(
    private readonly schemas: EventSchemas,
    /** The event id of the request waiting under a reply id, if any. */
    private readonly requestId: (rid: number) => string | undefined,
    /** Refuse a push whose id has no entry in `schemas`. */
    private readonly strict = false,
  ) {}

  readonly check = (m: ServerBatchable): ClientCheck | Promise<ClientCheck> => {
    if (m.t === 'e' || m.t === 'tm') {
      const id = m.ev[0];
      const entry = schemaOf(this.schemas, id);
      if (!entry && this.strict) return unknown(id);
      const schema = entry?.data;
      return schema ? run(schema, m.ev[1], id, 'push') : { ok: true, value: m.ev[1] };
    }
    if (m.t === 'r') {
      const id = this.requestId(m.rid);
      const schema = id === undefined ? undefined : schemaOf(this.schemas, id)?.reply;
      return schema ? run(schema, m.d, id!, 'reply') : { ok: true, value: m.d };
    }
    if (m.t === 'si') {
      const id = this.requestId(m.rid);
      const schema = id === undefined ? undefined : schemaOf(this.schemas, id)?.stream;
      return schema ? run(schema, m.d, id!, 'stream item') : { ok: true, value: m.d };
    }
    return PASS;
  };
}

function run(schema: StandardSchemaV1, value: unknown, id: string, what: string): ClientCheck | Promise<ClientCheck> {
  const r = validateEventData(schema, value);
  return r instanceof Promise ? r.then((c) => result(c, id, what)) : result(r, id, what);
}

function result(c: DataCheck, id: string, what: string): ClientCheck {
  if (c.ok) return c;
  const msg = `invalid ${what} data for "${id}": ${describeIssues(c.issues)}`;
  return { ok: false, error: new DataError(msg.length > 500 ? `${msg.slice(0, 499)}…` : msg, c.issues, id) };
}

function unknown(id: string): ClientCheck {
  const shown = id.length > 100 ? `${id.slice(0, 99)}…` : id;
  return { ok: false, error: new DataError(`no schema for pushed event "${shown}" (the client is strict)`, [], id, ErrorCode.UnknownEvent) };
}
