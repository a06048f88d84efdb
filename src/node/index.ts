// sente-rx/node: helpers for clients running on Node (never part of a browser bundle).
export { httpFetch, type HttpFetchOptions } from './httpFetch';
