/**
 * The Lua scripts of the Redis topic registry ({@link RedisTopics}). Topic membership is kept per (topic, node,
 * uid key): a hash `tm:<topic>` with a field `<node>\n<uid>` for each node that has a member connection of that
 * uid in the topic, a set `tn:<node>` of `<topic>\n<uid>` (what to forget when the node dies), and a zset
 * `tnodes` of the nodes' heartbeats. Every change of the hash is published, in the same atomic step, on the
 * topic's presence channel `tp:<topic>` as `+<node>\n<uid>` or `-<node>\n<uid>`, so a replica that subscribed
 * before reading the hash misses nothing (O(1) per change). Keys are built from the prefix inside the scripts:
 * a single Redis (or a Sentinel-managed primary), like the adapter's.
 */

/** Milliseconds on Redis's own clock, so nodes with skewed clocks agree on who is alive. */
const NOW = `local t = redis.call('TIME') local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/**
 * One node's membership of one uid key in one topic, on or off; publishes the delta when it changed.
 * KEYS[1] = tm:<topic>, KEYS[2] = tn:<node>, KEYS[3] = tnodes; ARGV = node, uid, topic, on (1/0), publish
 * command (PUBLISH/SPUBLISH), presence channel. Answers {1 when it changed, 1 when the node is in tnodes} (0:
 * it was swept while it was away, and must write all its memberships again after a heartbeat).
 */
export const TOPIC_LISTED = `local f = ARGV[1] .. '\\n' .. ARGV[2]
local e = ARGV[3] .. '\\n' .. ARGV[2]
local changed
if ARGV[4] == '1' then
  changed = redis.call('HSET', KEYS[1], f, 1)
  redis.call('SADD', KEYS[2], e)
else
  changed = redis.call('HDEL', KEYS[1], f)
  redis.call('SREM', KEYS[2], e)
end
if changed == 1 then redis.call(ARGV[5], ARGV[6], (ARGV[4] == '1' and '+' or '-') .. f) end
return {changed, redis.call('ZSCORE', KEYS[3], ARGV[1]) and 1 or 0}`;

/**
 * Heartbeat and sweep. Refreshes node ARGV[2]'s heartbeat (unless ARGV[2] is empty) and forgets every node
 * unseen for ARGV[3] ms, or only node ARGV[5] when given (a node leaving on close): only one sweeper wins a
 * node (ZREM). For each of its memberships, removes the field and publishes the `-` delta. KEYS[1] = tnodes;
 * ARGV = prefix, node, ttlMs, publish command, [leaving node]. Answers {1 if node ARGV[2] was not listed
 * before (new, or swept while it was away), nodes forgotten}.
 */
export const TOPIC_SWEEP = `${NOW}
local fresh = 0
if ARGV[2] ~= '' then fresh = redis.call('ZADD', KEYS[1], now, ARGV[2]) end
local dead
if ARGV[5] then dead = {ARGV[5]} else dead = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[3])) end
local n = 0
for _, node in ipairs(dead) do
  if redis.call('ZREM', KEYS[1], node) == 1 or ARGV[5] then
    n = n + 1
    local nk = ARGV[1] .. 'tn:' .. node
    for _, e in ipairs(redis.call('SMEMBERS', nk)) do
      local at = string.find(e, '\\n', 1, true)
      local topic = string.sub(e, 1, at - 1)
      local f = node .. '\\n' .. string.sub(e, at + 1)
      if redis.call('HDEL', ARGV[1] .. 'tm:' .. topic, f) == 1 then redis.call(ARGV[4], ARGV[1] .. 'tp:' .. topic, '-' .. f) end
    end
    redis.call('DEL', nk)
  end
end
return {fresh, n}`;
