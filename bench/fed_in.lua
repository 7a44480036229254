-- fed_in.lua — wrk script replaying pre-signed deliveries (bench/fed_in.sh).
-- Usage: wrk -t T ... -s bench/fed_in.lua URL -- FILE FIRST COUNT T [RATE]
-- FILE holds whole HTTP requests as records "LENGTH\n" + LENGTH bytes
-- (bench/tools/fedsign.py sign). This run sends records FIRST..FIRST+COUNT-1,
-- each exactly once: thread k of T takes its own contiguous share. A
-- signed activity can be taken only once (its id is remembered), so a
-- thread never wraps around: once its share is sent, its connections go
-- quiet (an empty request writes nothing, and nothing answers it) and the
-- thread stops when the last answer is in. wrk's own requests/s then
-- counts over all of -d; fed_in.sh takes the rates from the server's
-- clock instead.
-- With RATE (deliveries per second, all threads together; 0 or none: as
-- fast as they are answered) each thread sends on a schedule: its k-th
-- request not before k / (RATE / T) seconds from its start, whatever the
-- answers' speed (while there are connections free to send on).
-- done() prints one line: "fed_in: sent=N answered=N accepted=N other=N
-- codes=CODE:N,... exhausted=THREADS", accepted being the 202s.

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } fed_in_timespec;
int clock_gettime(int clock, fed_in_timespec *now);
]]
local CLOCK_MONOTONIC = 1
local ts = ffi.new("fed_in_timespec")

local function now_ms()
	ffi.C.clock_gettime(CLOCK_MONOTONIC, ts)
	return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end

local threads = {}
local nthreads = 0

function setup(thread)
	nthreads = nthreads + 1
	thread:set("tid", nthreads - 1)
	table.insert(threads, thread)
end

function init(args)
	-- wrk runs setup() and init() thread by thread, so no thread knows
	-- how many there are: T is passed
	local file, first, count = args[1], tonumber(args[2]), tonumber(args[3])
	local n = tonumber(args[4])
	-- this thread's share: [lo, hi) of the run's records
	local per = math.floor(count / n)
	local lo = first + tid * per
	local hi = lo + per
	if tid == n - 1 then
		hi = first + count
	end
	local f = assert(io.open(file, "rb"))
	reqs = {}
	local i = 0
	while i < hi do
		local len = f:read("*l")
		if not len then
			break
		end
		len = tonumber(len)
		if i >= lo then
			reqs[#reqs + 1] = f:read(len)
		else
			f:seek("cur", len)
		end
		i = i + 1
	end
	f:close()
	nreqs = #reqs -- counted now: # is undefined once sent ones are let go
	nextreq, sent, answered, accepted, other = 1, 0, 0, 0, 0
	codes = {}
	exhausted = 0
	-- wrk calls request() once on its first thread to check the request
	-- parses, and never sends that one: hand it over without using it up
	checking = tid == 0
	-- wrk asks whether delay() exists once the first thread's init() has
	-- run: it is defined only when there is a schedule to keep
	local rate = tonumber(args[5] or "0")
	if rate > 0 then
		local interval, start = 1000 * n / rate, now_ms()
		delay = function()
			local due = start + sent * interval - now_ms()
			return due > 0 and due or 0
		end
	end
end

function request()
	if checking then
		checking = false
		return reqs[1] or ""
	end
	if nextreq > nreqs then
		exhausted = 1
		return ""
	end
	local r = reqs[nextreq]
	reqs[nextreq] = nil -- sent once; let the memory go
	nextreq = nextreq + 1
	sent = sent + 1
	return r
end

function response(status, headers, body)
	answered = answered + 1
	if status == 202 then
		accepted = accepted + 1
	else
		other = other + 1
		codes[status] = (codes[status] or 0) + 1
	end
	if exhausted == 1 and answered >= sent then
		wrk.thread:stop()
	end
end

function done(summary, latency, requests)
	local t = { sent = 0, answered = 0, accepted = 0, other = 0, exhausted = 0 }
	local all = {}
	for _, thread in ipairs(threads) do
		for k, _ in pairs(t) do
			t[k] = t[k] + (thread:get(k) or 0)
		end
		local c = thread:get("codes") or {}
		for code, n in pairs(c) do
			all[code] = (all[code] or 0) + n
		end
	end
	local parts = {}
	for code, n in pairs(all) do
		parts[#parts + 1] = code .. ":" .. n
	end
	io.write(string.format("fed_in: sent=%d answered=%d accepted=%d other=%d codes=%s exhausted=%d\n",
		t.sent, t.answered, t.accepted, t.other, table.concat(parts, ","), t.exhausted))
end
