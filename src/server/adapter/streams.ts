/**
 * Names of the replay streams (PROTOCOL.md, "Offsets and resume"): a uid key's pushes, the broadcasts, and
 * (for the topics work) each topic's publishes. One log per stream; offsets count per stream.
 */
export const streamOf = {
  /** The pushes to a uid key (`NIL_UID` included: every user without a uid shares it). */
  uid: (key: string): string => `u:${key}`,
  /** Every broadcast. */
  broadcast: 'b',
  /** The publishes to one topic. */
  topic: (topic: string): string => `t:${topic}`,
} as const;
