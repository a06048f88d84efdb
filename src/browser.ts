// Entry of the browser bundle (dist/browser/sente-rx.min.js, global `SenteRx`): what a page needs to connect,
// send and receive with the JSON packer. Never import server code or Node built-ins from here.
export { createChannelSocketClient } from './client/createChannelSocketClient';
export { jsonPacker } from './packers/jsonPacker';
export { ReplyTimeoutError } from './errors/ReplyTimeoutError';
export { ChannelClosedError } from './errors/ChannelClosedError';
export { RemoteError } from './errors/RemoteError';
export { ErrorCode } from './protocol/codes';
