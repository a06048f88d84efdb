/**
 * Lua scripts of the Redis replay logs and dedupe (each atomic). Time is the caller's clock (the server's
 * scheduler, ARGV), so bounds behave as `MemoryReplayLog`'s do, in virtual time too; key TTLs are only a
 * backstop that frees what nobody touches again.
 *
 * A log is two keys: a stream `r:<stream>` whose entry ids are the offsets (`<offset>-0`, fields m = message,
 * b = bytes, at = time) and a meta hash `rm:<stream>` (epoch, top offset, bytes held, last append) that
 * outlives the entries, so an up-to-date client still resumes after its entries aged out.
 */

/** Loads (or starts) the log's position; trims it. ARGV[1..6] = now, maxEntries, maxBytes, maxAgeMs, positionTtlMs, newEpoch. */
const PRELUDE = `
local now, maxEntries, maxBytes, maxAge, ttl = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local m = redis.call('HMGET', KEYS[2], 'epoch', 'top', 'last', 'bytes')
local epoch, top, bytes = m[1], tonumber(m[2] or '0'), tonumber(m[4] or '0')
if not epoch or tonumber(m[3]) < now - ttl then
  redis.call('DEL', KEYS[1])
  epoch, top, bytes = ARGV[6], 0, 0
  redis.call('HSET', KEYS[2], 'epoch', epoch, 'top', 0, 'last', now, 'bytes', 0)
  redis.call('PEXPIRE', KEYS[2], ttl)
end
local function trim()
  local n = redis.call('XLEN', KEYS[1])
  while n > 0 do
    local e = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)[1]
    local b, at = tonumber(e[2][4]), tonumber(e[2][6])
    if n <= maxEntries and bytes <= maxBytes and at >= now - maxAge then break end
    redis.call('XDEL', KEYS[1], e[1])
    bytes, n = bytes - b, n - 1
  end
  if n == 0 then bytes = 0 end
  redis.call('HSET', KEYS[2], 'bytes', bytes)
end
`;

/**
 * Appends one entry and publishes it, atomically: every subscriber sees the entries of a stream in offset
 * order. KEYS = r:<stream>, rm:<stream>; ARGV[7..] = message, bytes, publish command ('' for none), payload,
 * channels... Each channel gets `<offset> <epoch>\\n<payload>`. Answers {offset, epoch}.
 */
export const APPEND = `${PRELUDE}
top = top + 1
redis.call('XADD', KEYS[1], top .. '-0', 'm', ARGV[7], 'b', ARGV[8], 'at', ARGV[1])
bytes = bytes + tonumber(ARGV[8])
redis.call('HSET', KEYS[2], 'top', top, 'last', now)
trim()
redis.call('PEXPIRE', KEYS[2], ttl)
redis.call('PEXPIRE', KEYS[1], maxAge + 60000)
if ARGV[9] ~= '' then
  local msg = top .. ' ' .. epoch .. '\\n' .. ARGV[10]
  for i = 11, #ARGV do redis.call(ARGV[9], ARGV[i], msg) end
end
return {top, epoch}`;

/**
 * Starts a log over with a new epoch (ARGV[6]) and no entries, and publishes `0 <epoch>\\n<payload>` (offset 0:
 * a restart, never an entry) so the nodes delivering it resync their clients. For a stream that missed pushes
 * this node could not log (Redis was unreachable): every position in the old epoch becomes void, so no resume
 * across the hole says `recovered: true`. KEYS as APPEND; ARGV[7..] = publish command ('' for none), payload,
 * channels... Answers the new epoch.
 */
export const RESTART = `
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[2], 'epoch', ARGV[6], 'top', 0, 'last', ARGV[1], 'bytes', 0)
redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[5]))
if ARGV[7] ~= '' then
  local msg = '0 ' .. ARGV[6] .. '\\n' .. ARGV[8]
  for i = 9, #ARGV do redis.call(ARGV[7], ARGV[i], msg) end
end
return ARGV[6]`;

/**
 * Reads the entries after a position, never partially. KEYS as APPEND; ARGV[7..] = since offset, since epoch,
 * max (-1: no limit), mode ('pos': the position only). Answers {top, epoch, verdict, messages...} with verdict
 * 'ok' | 'epoch' | 'trimmed' | 'too-many' (messages are the entries from since + 1 on, in order).
 */
export const READ = `${PRELUDE}
trim()
if ARGV[10] == 'pos' then return {top, epoch, 'ok'} end
local since, max = tonumber(ARGV[7]), tonumber(ARGV[9])
if ARGV[8] ~= epoch or since > top then return {top, epoch, 'epoch'} end
if since == top then return {top, epoch, 'ok'} end
local first = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)[1]
if not first or tonumber(string.match(first[1], '^(%d+)')) > since + 1 then return {top, epoch, 'trimmed'} end
if max >= 0 and top - since > max then return {top, epoch, 'too-many'} end
local out = {top, epoch, 'ok'}
for _, e in ipairs(redis.call('XRANGE', KEYS[1], (since + 1) .. '-0', '+')) do table.insert(out, e[2][2]) end
return out`;

/**
 * Claims a message id in one (uid, client id)'s window: a hash mid → '<at>:p' (pending) or '<at>:d<reply JSON>'
 * (done), and a zset of mids in claim order for the entry bound. KEYS = d:<uid>\\0<cid>, dz:<uid>\\0<cid>;
 * ARGV = mid, now, windowMs, maxEntries. Answers '' (new), 'p' or 'd...'.
 */
export const CLAIM = `
local now, window = tonumber(ARGV[2]), tonumber(ARGV[3])
local v = redis.call('HGET', KEYS[1], ARGV[1])
if v then
  local at, rest = string.match(v, '^(%-?%d+):(.*)$')
  if tonumber(at) >= now - window then return rest end
end
redis.call('HSET', KEYS[1], ARGV[1], now .. ':p')
redis.call('ZADD', KEYS[2], redis.call('HINCRBY', KEYS[1], '#', 1), ARGV[1])
while redis.call('ZCARD', KEYS[2]) > tonumber(ARGV[4]) do
  redis.call('HDEL', KEYS[1], redis.call('ZPOPMIN', KEYS[2])[1])
end
redis.call('PEXPIRE', KEYS[1], window)
redis.call('PEXPIRE', KEYS[2], window)
return ''`;

/** Records a claimed id as done (nothing when it was never claimed). KEYS as CLAIM; ARGV = mid, reply JSON ('' for none). */
export const COMPLETE = `
local v = redis.call('HGET', KEYS[1], ARGV[1])
if not v then return 0 end
local at = string.match(v, '^(%-?%d+):')
redis.call('HSET', KEYS[1], ARGV[1], at .. ':d' .. ARGV[2])
return 1`;

/**
 * The dedupe epoch: the value of KEYS[1], set to ARGV[1] first when it is missing (SET NX), so every node reads
 * the same one and a flushed Redis starts a new one. Returns the epoch.
 */
export const DEDUPE_EPOCH = `
local e = redis.call('GET', KEYS[1])
if e then return e end
redis.call('SET', KEYS[1], ARGV[1])
return ARGV[1]`;
