// Type-level tests for resume (README, "Nothing lost silently"): compiled by `tsc -p spec/types`, never run.
import type { Observable } from 'rxjs';
import { createChannelSocketClient, type ClientRecovery } from '../../src/client';
import { createChannelSocketServer, type ServerOptions } from '../../src/server';

const client = createChannelSocketClient({ url: 'http://localhost/chsk' });

// reopened$ and state$.value.recovery carry { recovered, replayed }; recovery is null before the first reopen.
const reopened: Observable<ClientRecovery> = client.reopened$;
const recovered: boolean | undefined = client.state$.value.recovery?.recovered;
const replayed: number | undefined = client.state$.value.recovery?.replayed;
// @ts-expect-error recovery may be null (no reopen yet)
const notNull: ClientRecovery = client.state$.value.recovery;
// @ts-expect-error reopened$ is read-only for the app: no next
client.reopened$.next({ recovered: true, replayed: 0 });
void reopened, recovered, replayed, notNull;

// The server's resume option: bounds, or false.
const on: ServerOptions = { resume: { maxEntries: 100, maxAgeMs: 30_000 } };
const off: ServerOptions = { resume: false };
// @ts-expect-error true is not an option value (the default is on)
const bad: ServerOptions = { resume: true };
// @ts-expect-error an unknown bound
const typo: ServerOptions = { resume: { maxEntry: 10 } };
createChannelSocketServer(on);
void off, bad, typo;
