#!lua
-- mod-acme: one update applied atomically (module/store/redis/apply.c).
--
-- ARGV: prefix, now (ms), lifetime (ms), max_records (0 = unlimited),
--   number of prerequisites, then per prerequisite:
--     type (1 in use, 2 unused, 3 TXT equals), owner key,
--     number of values, values..., number of optional values, optional...
--   number of operations, then per operation:
--     type (1 add, 2 delete value, 3 delete all), owner key, rdata, ttl.
-- Owner keys are the store's keys (labels from the root, lower case).
--
-- Keys (P = prefix):
--   P v:OWNER  hash  rdata -> "expires added seq ttl"; PEXPIREAT at the
--                    latest expiry of its fields
--   P b:NAME   zset  owner keys strictly below NAME, scored by their latest
--                    expiry; PEXPIREAT at its highest score
--   P seq      int   add order (max-records drops the smallest)
--   P w        channel: each owner that got a value is published
-- Returns {0, added, refreshed, deleted, dropped} or {1, failed prerequisite}.

local P = ARGV[1]
local now = tonumber(ARGV[2])
local lifetime = tonumber(ARGV[3])
local max_records = tonumber(ARGV[4])

local function parse(v)
	local e, a, s, t = string.match(v, "^(%d+) (%d+) (%d+) (%d+)$")
	return tonumber(e), tonumber(a), tonumber(s), tonumber(t)
end

-- Live values of an owner as a set rdata -> true, and their number.
local function live(owner)
	local all = redis.call("HGETALL", P .. "v:" .. owner)
	local set, n = {}, 0
	for i = 1, #all, 2 do
		local e = parse(all[i + 1])
		if e ~= nil and e > now then
			set[all[i]] = true
			n = n + 1
		end
	end
	return set, n
end

-- Prerequisites, in order.
local pos = 6
local count = tonumber(ARGV[5])
for i = 1, count do
	local kind, owner = tonumber(ARGV[pos]), ARGV[pos + 1]
	local set, n = live(owner)
	local nv = tonumber(ARGV[pos + 2])
	local values = {}
	for j = 1, nv do
		values[ARGV[pos + 2 + j]] = true
	end
	pos = pos + 3 + nv
	local no = tonumber(ARGV[pos])
	local optional = {}
	for j = 1, no do
		optional[ARGV[pos + j]] = true
	end
	pos = pos + 1 + no
	local ok
	if kind == 1 then
		ok = n > 0
	elseif kind == 2 then
		ok = n == 0
	else
		ok = true
		for v in pairs(values) do
			if not set[v] then ok = false end
		end
		for v in pairs(set) do
			if not values[v] and not optional[v] then ok = false end
		end
	end
	if not ok then
		return {1, i - 1}
	end
end

local added, refreshed, deleted, dropped = 0, 0, 0, 0
local touched, order = {}, {}
local function touch(owner)
	if not touched[owner] then
		touched[owner] = true
		order[#order + 1] = owner
	end
end

-- Drops expired values and the oldest live ones over max_records.
local function trim(key)
	local all = redis.call("HGETALL", key)
	local keep = {}
	for i = 1, #all, 2 do
		local e, _, s = parse(all[i + 1])
		if e == nil or e <= now then
			redis.call("HDEL", key, all[i])
		else
			keep[#keep + 1] = {all[i], s}
		end
	end
	if max_records > 0 and #keep > max_records then
		table.sort(keep, function(x, y) return x[2] < y[2] end)
		for i = 1, #keep - max_records do
			redis.call("HDEL", key, keep[i][1])
			dropped = dropped + 1
		end
	end
end

count = tonumber(ARGV[pos])
pos = pos + 1
for i = 1, count do
	local kind, owner, rdata, ttl = tonumber(ARGV[pos]), ARGV[pos + 1], ARGV[pos + 2],
	                                tonumber(ARGV[pos + 3])
	pos = pos + 4
	local key = P .. "v:" .. owner
	if kind == 1 then
		local old = redis.call("HGET", key, rdata)
		local e = nil
		if old then e = parse(old) end
		if e ~= nil and e > now then
			refreshed = refreshed + 1
		else
			added = added + 1
		end
		local seq = redis.call("INCR", P .. "seq")
		redis.call("HSET", key, rdata, string.format("%d %d %d %d",
		           now + lifetime, now, seq, ttl))
		trim(key)
		redis.call("PUBLISH", P .. "w", owner)
	elseif kind == 2 then
		local old = redis.call("HGET", key, rdata)
		if old then
			local e = parse(old)
			if e ~= nil and e > now then
				deleted = deleted + 1
			end
			redis.call("HDEL", key, rdata)
		end
	else
		local _, n = live(owner)
		deleted = deleted + n
		redis.call("DEL", key)
	end
	touch(owner)
end

-- Expiry of each changed owner's key and its entry in each ancestor's set.
for _, owner in ipairs(order) do
	local key = P .. "v:" .. owner
	local all = redis.call("HGETALL", key)
	local latest = 0
	for i = 1, #all, 2 do
		local e = parse(all[i + 1])
		if e ~= nil and e > latest then latest = e end
	end
	if latest > now then
		redis.call("PEXPIREAT", key, latest)
	else
		redis.call("DEL", key)
	end
	-- Ancestors: the owner key cut at each label boundary, the root ("") first.
	local at = 1
	while at <= #owner do
		local above = P .. "b:" .. string.sub(owner, 1, at - 1)
		if latest > now then
			redis.call("ZADD", above, latest, owner)
		else
			redis.call("ZREM", above, owner)
		end
		redis.call("ZREMRANGEBYSCORE", above, "-inf", now)
		local top = redis.call("ZRANGE", above, -1, -1, "WITHSCORES")
		if top[2] ~= nil then
			redis.call("PEXPIREAT", above, top[2])
		end
		at = at + 1 + string.byte(owner, at)
	end
end

return {0, added, refreshed, deleted, dropped}
