/**
 * Scripts that check who owns a pending entry and act on it in one step, so no other
 * consumer's claim can slip in between the check and the action.
 * All take KEYS[1] = stream, ARGV[1] = group, ARGV[2] = consumer.
 */

/**
 * Takes back one entry this consumer still owns (ARGV[3] = id), for the redelivery of a
 * rejected message: returns XCLAIM's reply (the entry, or nothing when it was trimmed), or an
 * empty array when another consumer has claimed it meanwhile.
 */
export const CLAIM_OWN = `
local owned = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[3], ARGV[3], 1, ARGV[2])
if #owned == 0 then return {} end
return redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[3])
`;

/**
 * On close: marks every entry this consumer still owns as idle for ARGV[3] ms, so any
 * subscriber's next claim pass takes it at once instead of after processingTimeout
 * (ARGV[4] = most entries to look at). A consumer left with nothing pending is deleted, so
 * closed subscriptions do not pile up in the group. Returns how many entries were released.
 */
export const RELEASE_OWN = `
local owned = redis.call('XPENDING', KEYS[1], ARGV[1], '-', '+', tonumber(ARGV[4]), ARGV[2])
for _, entry in ipairs(owned) do
  redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, entry[1], 'IDLE', ARGV[3], 'JUSTID')
end
if #owned == 0 then redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2]) end
return #owned
`;

/**
 * Deletes a consumer with nothing pending (one that died after its entries were claimed).
 * Deleting a live one is harmless: Redis creates it again at its next read. Returns 1 when
 * deleted, 0 when it still owns entries.
 */
export const FORGET_IF_IDLE = `
local owned = redis.call('XPENDING', KEYS[1], ARGV[1], '-', '+', 1, ARGV[2])
if #owned > 0 then return 0 end
redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2])
return 1
`;
