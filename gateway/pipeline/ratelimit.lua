-- Exact sliding-window rate limit over several windows at once (SPEC §4 step 5).
-- KEYS: one sorted set per window (same hash tag: one user); ARGV[1]: window ms,
-- ARGV[2]: unique member, ARGV[3..]: the limit of each key. Time is Redis' own, so replicas with
-- skewed clocks agree. The request is added to every window only when every window admits it:
-- refused requests do not count.
-- Returns {admitted, retry_ms, count_1, oldest_1, count_2, oldest_2, ...} (counts after admission).
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local win = tonumber(ARGV[1])
local admitted = 1
local retry = 0
local counts = {}
for i = 1, #KEYS do
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - win)
  local count = redis.call('ZCARD', KEYS[i])
  local limit = tonumber(ARGV[2 + i])
  counts[i] = count
  if count >= limit then
    admitted = 0
    -- one slot frees when the (count - limit + 1)-th oldest entry leaves the window
    local e = redis.call('ZRANGE', KEYS[i], count - limit, count - limit, 'WITHSCORES')
    local wait = tonumber(e[2]) + win - now
    if wait > retry then retry = wait end
  end
end
local out = {admitted, retry}
for i = 1, #KEYS do
  if admitted == 1 then
    redis.call('ZADD', KEYS[i], now, ARGV[2])
    redis.call('PEXPIRE', KEYS[i], win)
    counts[i] = counts[i] + 1
  end
  local first = redis.call('ZRANGE', KEYS[i], 0, 0, 'WITHSCORES')
  local oldest = now
  if first[2] then oldest = tonumber(first[2]) end
  out[#out + 1] = counts[i]
  out[#out + 1] = oldest + win - now
end
return out
