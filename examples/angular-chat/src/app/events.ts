/** One chat line, as the server broadcasts it. */
export interface ChatLine {
  id: number;
  from: string;
  text: string;
}

/** The chat's events: requests (with a reply) from the browser, pushes from the server. */
export interface ChatEvents {
  'chat/send': { data: { text: string }; reply: { ok: true } };
  'chat/history': { data: null; reply: { lines: ChatLine[] } };
  'chat/msg': { data: ChatLine };
}
