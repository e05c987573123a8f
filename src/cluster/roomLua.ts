/**
 * The Lua side of the shared tutor rooms. Each script runs atomically in Redis, so a seq is taken,
 * the message logged and published in one step, and presence changes are numbered (`pseq`) in
 * the order every instance receives them. Time is Redis's clock (`TIME`), one clock for the cluster.
 *
 * Channel payloads: a JSON header line, `\n`, then the exact JSON the clients get:
 *   ["m", epoch, seq, ts, to|null, senderConnectionId|null]\n{...message, from, ts, seq}
 *   ["p", epoch, pseq, connectionId, 1 (join) | 0 (leave)]\n{"type":"presence",...}
 * A member's value in the members hash is `<instanceId>\n<peer JSON>`.
 *
 * Keys other than KEYS[] (the reaper walks a dead instance's rooms) make these scripts unfit for
 * Redis Cluster: one Redis primary (with replicas or Sentinel) serves the tutor rooms.
 */

const prelude = String.raw`
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function peer_of(value)
  return string.sub(value, string.find(value, '\n', 1, true) + 1)
end

-- The room's epoch. A missing room is created at seq = floor with the caller's epoch, so the
-- clients of a room whose keys were lost keep their epoch and never see a seq go backwards.
local function ensure(room, log, epoch, floor)
  local current = redis.call('HGET', room, 'epoch')
  if not current then
    redis.call('DEL', log)
    redis.call('HSET', room, 'epoch', epoch, 'seq', floor, 'pseq', 0, 'bytes', 0)
    return epoch
  end
  if tonumber(redis.call('HGET', room, 'seq') or '0') < floor then redis.call('HSET', room, 'seq', floor) end
  return current
end

local function presence(room, channel, epoch, connection_id, event, peer)
  local pseq = redis.call('HINCRBY', room, 'pseq', 1)
  redis.call('PUBLISH', channel, '["p","' .. epoch .. '",' .. pseq .. ',"' .. connection_id .. '",' ..
    (event == 'join' and '1' or '0') .. ']\n{"type":"presence","event":"' .. event .. '",' .. string.sub(peer, 2))
end

-- An empty room stays while it has something to replay, at most grace_ms; occupied rooms never expire.
local function release(room, log, members, replay_ms, grace_ms, now)
  if redis.call('HLEN', members) > 0 then return end
  local keep = 0
  if replay_ms > 0 then
    local newest = redis.call('XREVRANGE', log, '+', '-', 'COUNT', 1)[1]
    if newest then keep = math.min(grace_ms, tonumber(newest[2][8]) + replay_ms - now) end
  end
  if keep <= 0 then
    redis.call('DEL', room, log, members)
  else
    redis.call('PEXPIRE', room, keep)
    redis.call('PEXPIRE', log, keep)
  end
end

local function occupy(room, log, members)
  redis.call('PERSIST', room)
  redis.call('PERSIST', log)
  redis.call('PERSIST', members)
end

-- Removes every member the instance left behind and announces each as left; returns how many.
local function reap(prefix, id, replay_ms, grace_ms, now)
  local rooms_key = prefix .. 'instance:' .. id .. ':rooms'
  local mark = id .. '\n'
  local count = 0
  for _, sid in ipairs(redis.call('SMEMBERS', rooms_key)) do
    local room = prefix .. 'room:{' .. sid .. '}'
    local log, members, channel = room .. ':log', room .. ':members', prefix .. 'room:' .. sid
    local epoch = redis.call('HGET', room, 'epoch')
    local all = redis.call('HGETALL', members)
    for i = 1, #all, 2 do
      if string.sub(all[i + 1], 1, #mark) == mark then
        redis.call('HDEL', members, all[i])
        if epoch then presence(room, channel, epoch, all[i], 'leave', peer_of(all[i + 1])) end
        count = count + 1
      end
    end
    release(room, log, members, replay_ms, grace_ms, now)
  end
  redis.call('DEL', rooms_key)
  return count
end

local function snapshot(room, log, members, epoch, from)
  local state = redis.call('HMGET', room, 'seq', 'pseq')
  local entries = {}
  if from ~= '' then entries = redis.call('XRANGE', log, from, '+') end
  return { epoch, state[1], state[2], redis.call('HVALS', members), entries, now_ms() }
end
`;

/**
 * KEYS: room, log, members, instance rooms.
 * ARGV: connectionId, member value, peer JSON, candidate epoch, floor, resume since ('' none),
 * channel, sessionId, resume epoch ('' none).
 * Returns the snapshot: epoch, seq, pseq, member values, the log entries a resume needs (after
 * `since`; all of them when the client's epoch is not this room's or its since is past the seq), now.
 */
export const joinScript = prelude + String.raw`
local epoch = ensure(KEYS[1], KEYS[2], ARGV[4], tonumber(ARGV[5]))
redis.call('HSET', KEYS[3], ARGV[1], ARGV[2])
occupy(KEYS[1], KEYS[2], KEYS[3])
redis.call('SADD', KEYS[4], ARGV[8])
presence(KEYS[1], ARGV[7], epoch, ARGV[1], 'join', ARGV[3])
local from = ''
if ARGV[6] ~= '' then
  local since = tonumber(ARGV[6])
  if (ARGV[9] ~= '' and ARGV[9] ~= epoch) or since > tonumber(redis.call('HGET', KEYS[1], 'seq')) then
    from = '-'
  else
    from = string.format('%.0f', since + 1)
  end
end
return snapshot(KEYS[1], KEYS[2], KEYS[3], epoch, from)
`;

/**
 * KEYS: room, log, members, instance rooms.
 * ARGV: connectionId, channel, last local member ('1'/'0'), sessionId, replayMs, graceMs.
 */
export const leaveScript = prelude + String.raw`
local value = redis.call('HGET', KEYS[3], ARGV[1])
if value then
  redis.call('HDEL', KEYS[3], ARGV[1])
  local epoch = redis.call('HGET', KEYS[1], 'epoch')
  if epoch then presence(KEYS[1], ARGV[2], epoch, ARGV[1], 'leave', peer_of(value)) end
end
if ARGV[3] == '1' then redis.call('SREM', KEYS[4], ARGV[4]) end
release(KEYS[1], KEYS[2], KEYS[3], tonumber(ARGV[5]), tonumber(ARGV[6]), now_ms())
return value and 1 or 0
`;

/**
 * KEYS: room, log, members.
 * ARGV: message JSON without its closing brace, header tail ('to|null,conn|null]'), channel,
 * replay messages, replay bytes, replay ms, grace ms, candidate epoch, floor, count ('1'/'0'), to (''), sender connection ('').
 * Returns { seq, recipients counted (when asked) }.
 */
export const publishScript = prelude + String.raw`
local now = now_ms()
local epoch = ensure(KEYS[1], KEYS[2], ARGV[8], tonumber(ARGV[9]))
local seq = redis.call('HINCRBY', KEYS[1], 'seq', 1)
local data = ARGV[1] .. ',"ts":' .. now .. ',"seq":' .. seq .. '}'
local max_messages, max_bytes, replay_ms = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
if max_messages > 0 then
  local cost = #data + 512
  if cost > max_bytes then
    -- Kept around it, older messages would hide the gap this one leaves.
    redis.call('DEL', KEYS[2])
    redis.call('HSET', KEYS[1], 'bytes', 0)
  else
    redis.call('XADD', KEYS[2], seq .. '-0', 'd', data, 't', ARGV[11], 'c', ARGV[12], 's', now)
    local bytes = redis.call('HINCRBY', KEYS[1], 'bytes', cost)
    local length = redis.call('XLEN', KEYS[2])
    while length > 0 do
      local oldest = redis.call('XRANGE', KEYS[2], '-', '+', 'COUNT', 1)[1]
      local fields = oldest[2]
      if length > max_messages or bytes > max_bytes or now - tonumber(fields[8]) >= replay_ms then
        redis.call('XDEL', KEYS[2], oldest[1])
        bytes = bytes - (#fields[2] + 512)
        length = length - 1
      else
        break
      end
    end
    redis.call('HSET', KEYS[1], 'bytes', bytes)
  end
end
redis.call('PUBLISH', ARGV[3], '["m","' .. epoch .. '",' .. seq .. ',' .. now .. ',' .. ARGV[2] .. '\n' .. data)
local recipients = 0
if ARGV[10] == '1' then
  for _, value in ipairs(redis.call('HVALS', KEYS[3])) do
    local peer = cjson.decode(peer_of(value))
    if (ARGV[11] == '' or peer.userId == ARGV[11]) and peer.connectionId ~= ARGV[12] then recipients = recipients + 1 end
  end
end
release(KEYS[1], KEYS[2], KEYS[3], tonumber(ARGV[6]), tonumber(ARGV[7]), now)
return { seq, recipients }
`;

/**
 * Makes the shared room agree with this instance again (after an outage, a lost subscription or
 * a lapsed registration): raises seq to the local floor, replaces this instance's members with
 * the given ones (announcing who left and who joined), and returns the snapshot.
 * KEYS: room, log, members, instance rooms.
 * ARGV: instanceId, channel, candidate epoch, floor, replay from ('' none), sessionId, replayMs, graceMs,
 * then connectionId, member value pairs.
 */
export const attachScript = prelude + String.raw`
local epoch = ensure(KEYS[1], KEYS[2], ARGV[3], tonumber(ARGV[4]))
local mark = ARGV[1] .. '\n'
local mine = {}
local count = 0
for i = 9, #ARGV, 2 do
  mine[ARGV[i]] = ARGV[i + 1]
  count = count + 1
end
local all = redis.call('HGETALL', KEYS[3])
for i = 1, #all, 2 do
  if string.sub(all[i + 1], 1, #mark) == mark and not mine[all[i]] then
    redis.call('HDEL', KEYS[3], all[i])
    presence(KEYS[1], ARGV[2], epoch, all[i], 'leave', peer_of(all[i + 1]))
  end
end
for i = 9, #ARGV, 2 do
  if redis.call('HGET', KEYS[3], ARGV[i]) ~= ARGV[i + 1] then
    redis.call('HSET', KEYS[3], ARGV[i], ARGV[i + 1])
    presence(KEYS[1], ARGV[2], epoch, ARGV[i], 'join', peer_of(ARGV[i + 1]))
  end
end
if count > 0 then
  occupy(KEYS[1], KEYS[2], KEYS[3])
  redis.call('SADD', KEYS[4], ARGV[6])
else
  redis.call('SREM', KEYS[4], ARGV[6])
end
local result = snapshot(KEYS[1], KEYS[2], KEYS[3], epoch, ARGV[5])
if count == 0 then release(KEYS[1], KEYS[2], KEYS[3], tonumber(ARGV[7]), tonumber(ARGV[8]), result[6]) end
return result
`;

/**
 * One instance's heartbeat, and the reaper: every instance whose heartbeat is older than the
 * caller's ttl loses its members (announced as left by this script, once, atomically).
 * KEYS: instances. ARGV: instanceId, ttlMs, prefix, replayMs, graceMs, retire ('1': leave instead).
 * Returns { age of this instance's previous heartbeat in ms or -1 when it had none, live instance ids, members reaped }.
 */
export const heartbeatScript = prelude + String.raw`
local now = now_ms()
local ttl = tonumber(ARGV[2])
local previous = redis.call('ZSCORE', KEYS[1], ARGV[1])
local reaped = 0
if ARGV[6] == '1' then
  reaped = reap(ARGV[3], ARGV[1], tonumber(ARGV[4]), tonumber(ARGV[5]), now)
  redis.call('ZREM', KEYS[1], ARGV[1])
  return { previous and (now - tonumber(previous)) or -1, {}, reaped }
end
redis.call('ZADD', KEYS[1], now, ARGV[1])
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. (now - ttl))) do
  reaped = reaped + reap(ARGV[3], id, tonumber(ARGV[4]), tonumber(ARGV[5]), now)
  redis.call('ZREM', KEYS[1], id)
end
return { previous and (now - tonumber(previous)) or -1, redis.call('ZRANGEBYSCORE', KEYS[1], now - ttl, '+inf'), reaped }
`;
