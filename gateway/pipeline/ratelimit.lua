-- Exact sliding-window rate limit over several windows at once (SPEC §4 step 5), and, for a
-- request that carries an Idempotency-Key, its claim (step 6) in the same round trip.
-- KEYS[1..n]: one sorted set per window; KEYS[n+1] (optional): the idempotency record. All share
-- one hash tag (the user), so Redis Cluster can run it.
-- ARGV[1]: window ms, ARGV[2]: unique member, ARGV[3]: n, ARGV[4..3+n]: the limit of each window;
-- with a record: ARGV[4+n] fingerprint, ARGV[5+n] claim token, ARGV[6+n] lease ms.
-- Time is Redis' own, so replicas with skewed clocks agree. The request is added to every window
-- only when every window admits it: refused requests do not count, and claim nothing.
-- Returns {admitted, retry_ms, count_1, oldest_1, ..., count_n, oldest_n} (counts after admission),
-- then, when a record was given and the request admitted, the claim's outcome:
-- 'claimed' | 'mismatch' | 'in_flight' | 'done', status, body, code (as the stored answer).
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local win = tonumber(ARGV[1])
local n = tonumber(ARGV[3])
local admitted = 1
local retry = 0
local counts = {}
for i = 1, n do
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - win)
  local count = redis.call('ZCARD', KEYS[i])
  local limit = tonumber(ARGV[3 + i])
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
for i = 1, n do
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
local record = KEYS[n + 1]
if admitted == 1 and record then
  local fp, token, lease = ARGV[4 + n], ARGV[5 + n], ARGV[6 + n]
  local r = redis.call('HMGET', record, 'fp', 'state', 'status', 'body', 'code')
  if not r[1] then
    redis.call('HSET', record, 'fp', fp, 'state', 'pending', 'token', token)
    redis.call('PEXPIRE', record, lease)
    out[#out + 1] = 'claimed'
  elseif r[1] ~= fp then
    out[#out + 1] = 'mismatch'
  elseif r[2] == 'pending' then
    out[#out + 1] = 'in_flight'
  else
    out[#out + 1] = 'done'
    out[#out + 1] = r[3]
    out[#out + 1] = r[4]
    out[#out + 1] = r[5]
  end
end
return out
