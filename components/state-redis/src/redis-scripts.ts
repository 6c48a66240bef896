/**
 * The Lua scripts the store runs. Each runs atomically on the server, which is what makes
 * ETags, first-write and transactions safe against concurrent writers.
 *
 * Layout: one hash per key, `data` (the value bytes) and `version` (an integer, the ETag), as
 * Dapr's `state.redis` writes it, so either runtime reads what the other wrote. TTL is the
 * key's own expiry.
 */

/**
 * KEYS[1]: the key. Returns nil when absent, else `{data, version, pttl, type}`. A plain
 * string (written by very old Dapr versions) comes back as data without a version.
 */
export const readScript = `
local kind = redis.call('TYPE', KEYS[1]).ok
if kind == 'none' then return false end
if kind == 'hash' then
  local fields = redis.call('HMGET', KEYS[1], 'data', 'version')
  return {fields[1], fields[2], redis.call('PTTL', KEYS[1]), kind}
end
if kind == 'string' then
  return {redis.call('GET', KEYS[1]), false, redis.call('PTTL', KEYS[1]), kind}
end
return {false, false, 0, kind}
`;

/** Arguments per operation in `writeScript`'s ARGV. */
export const argsPerOperation = 5;

/**
 * Applies a list of writes all-or-nothing. KEYS[i] is operation i's key; ARGV holds five
 * values per operation: `set`|`del`, the expected ETag ('' for none), '1' for first-write,
 * the value, and the expiry in milliseconds ('0' removes any expiry).
 *
 * Every condition is checked first, in order, against the state the earlier operations
 * leave (so a transaction that writes a key twice sees its own write); only when all hold
 * is anything written. Returns 0, or the 1-based index of the first operation whose
 * condition failed (then nothing was written).
 *
 * A new key's version starts at the server time in microseconds rather than 1, so an ETag
 * read before a delete never matches the key created again after it.
 */
export const writeScript = `
local now = redis.call('TIME')
local fresh = now[1] .. string.format('%06d', tonumber(now[2]))
local known = {}
local versions = {}
local function current(key)
  local seen = known[key]
  if seen ~= nil then return seen end
  local kind = redis.call('TYPE', key).ok
  if kind == 'none' then return false end
  if kind ~= 'hash' then return '' end
  return redis.call('HGET', key, 'version') or ''
end
for i = 1, #KEYS do
  local base = (i - 1) * ${argsPerOperation}
  local op, etag, firstWrite = ARGV[base + 1], ARGV[base + 2], ARGV[base + 3]
  local key = KEYS[i]
  local version = current(key)
  if etag ~= '' then
    if version == false or version ~= etag then return i end
  elseif op == 'set' and firstWrite == '1' and version ~= false then
    return i
  end
  if op == 'set' then
    local number = tonumber(version or '')
    if number then
      versions[i] = string.format('%d', number + 1)
    else
      versions[i] = fresh
    end
    known[key] = versions[i]
  else
    known[key] = false
  end
end
for i = 1, #KEYS do
  local base = (i - 1) * ${argsPerOperation}
  local key = KEYS[i]
  if ARGV[base + 1] == 'set' then
    local kind = redis.call('TYPE', key).ok
    if kind ~= 'hash' and kind ~= 'none' then redis.call('DEL', key) end
    redis.call('HSET', key, 'data', ARGV[base + 4], 'version', versions[i])
    local ttl = tonumber(ARGV[base + 5])
    if ttl > 0 then
      redis.call('PEXPIRE', key, ttl)
    else
      redis.call('PERSIST', key)
    end
  else
    redis.call('DEL', key)
  end
end
return 0
`;

/**
 * The common case on its own: one unconditional set (no ETag, last-write). KEYS[1]: the key;
 * ARGV: the value and the expiry in milliseconds ('0' removes any expiry). Same result as
 * `writeScript` with one `set` operation, with less work on the server and fewer arguments
 * to encode: the version is read with HGET (a WRONGTYPE error means an old plain-string key,
 * replaced), and the server clock is read only for a new key.
 */
export const setScript = `
local ok, version = pcall(redis.call, 'HGET', KEYS[1], 'version')
if not ok then
  redis.call('DEL', KEYS[1])
  version = false
end
local number = tonumber(version or '')
local next
if number then
  next = string.format('%d', number + 1)
else
  local now = redis.call('TIME')
  next = now[1] .. string.format('%06d', tonumber(now[2]))
end
redis.call('HSET', KEYS[1], 'data', ARGV[1], 'version', next)
local ttl = tonumber(ARGV[2])
if ttl > 0 then
  redis.call('PEXPIRE', KEYS[1], ttl)
else
  redis.call('PERSIST', KEYS[1])
end
return 0
`;
