/**
 * The Lua scripts of the Redis adapter. Each runs atomically; keys are built from the prefix inside the
 * scripts, so they suit a single Redis (or a Sentinel-managed primary), not Redis Cluster (see README).
 */

/** Milliseconds on Redis's own clock, so nodes with skewed clocks agree on who is alive. */
const NOW = `local t = redis.call('TIME') local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/**
 * Heartbeat: ZADD nodes now node; answers the number of live nodes (seen within ARGV[2] ms), whether the node
 * was missing from the zset (1: it is new, was swept, or Redis lost its data) and whether it was swept while
 * alive (1: a sweep left its tombstone, which this deletes): the node then registers its users again.
 * KEYS[1] = nodes zset, KEYS[2] = gone:<node>; ARGV = node, ttlMs.
 */
export const HEARTBEAT = `${NOW}
local added = redis.call('ZADD', KEYS[1], now, ARGV[1])
local swept = 0
if added == 1 then swept = redis.call('DEL', KEYS[2]) end
return {redis.call('ZCOUNT', KEYS[1], now - tonumber(ARGV[2]), '+inf'), added, swept}`;

/**
 * One node's listing of one uid key: sets its fields `<node>:w` / `<node>:a` in the uid's hash and its
 * membership in the node's set; answers the hash's field count before and after (0 → n: the uid arrived in
 * the cluster; n → 0: it left). KEYS[1] = u:<uid>, KEYS[2] = n:<node>; ARGV = node, uid, ws (0/1), ajax (0/1).
 */
export const LISTED = `local before = redis.call('HLEN', KEYS[1])
if ARGV[3] == '1' then redis.call('HSET', KEYS[1], ARGV[1] .. ':w', 1) else redis.call('HDEL', KEYS[1], ARGV[1] .. ':w') end
if ARGV[4] == '1' then redis.call('HSET', KEYS[1], ARGV[1] .. ':a', 1) else redis.call('HDEL', KEYS[1], ARGV[1] .. ':a') end
if ARGV[3] == '1' or ARGV[4] == '1' then redis.call('SADD', KEYS[2], ARGV[2]) else redis.call('SREM', KEYS[2], ARGV[2]) end
return {before, redis.call('HLEN', KEYS[1])}`;

/**
 * Forgets every node unseen for ARGV[2] ms (or the node ARGV[3] when given: a node leaving on close): removes
 * it from the nodes zset (only one sweeper wins a node), its listings and its connection counts, and leaves a
 * tombstone `gone:<node>` (24 h) for a swept node, so that if it was alive after all (a stalled event loop, a
 * partition that kept its connections) its next heartbeat learns it was forgotten. Answers a
 * flat list node, uid, fields left, ... so the winner publishes the changes and emits uidport-close for the
 * uids left with none. ARGV = prefix, ttlMs, [node].
 */
export const SWEEP = `${NOW}
local dead
if ARGV[3] then dead = {ARGV[3]} else dead = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[2])) end
local out = {}
for _, node in ipairs(dead) do
  if redis.call('ZREM', KEYS[1], node) == 1 or ARGV[3] then
    local nk = ARGV[1] .. 'n:' .. node
    for _, uid in ipairs(redis.call('SMEMBERS', nk)) do
      local uk = ARGV[1] .. 'u:' .. uid
      redis.call('HDEL', uk, node .. ':w', node .. ':a')
      redis.call('HDEL', ARGV[1] .. 'c:' .. uid, node)
      table.insert(out, node) table.insert(out, uid) table.insert(out, redis.call('HLEN', uk))
    end
    redis.call('DEL', nk)
    if not ARGV[3] then redis.call('SET', ARGV[1] .. 'gone:' .. node, 1, 'PX', 86400000) end
  end
end
return out`;
