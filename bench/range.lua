-- range.lua — wrk script: GETs of random 1 MiB-aligned 1 MiB slices.
-- Usage: wrk ... -s bench/range.lua URL -- FILE_SIZE SEED CONNECTIONS [check]
-- Each request asks "Range: bytes=A-B" for slice k (A = k MiB, B = A + 1 MiB
-- - 1), k from math.random seeded with SEED + the thread's number.
--
-- Every run ends in done() with a check that costs nothing per request:
-- no non-2xx/3xx answer, and the bytes read per answer are those of one
-- 1 MiB slice plus headers (a 200 with the whole file, or an empty error,
-- would not fit). With "check", response() also looks at every answer:
-- status 206, a Content-Range of an aligned 1 MiB slice of FILE_SIZE bytes
-- and a 1 MiB body (this copies each body into Lua, so it is only for the
-- warm-up). Any failure prints "range.lua: FAIL ..." and exits 1.

local MIB = 1048576
local threads = {}
local next_id = 0

function setup(thread)
	next_id = next_id + 1
	thread:set("thread_id", next_id)
	table.insert(threads, thread)
end

local function fail(msg)
	io.stderr:write("range.lua: FAIL " .. msg .. "\n")
end

function init(args)
	size = tonumber(args[1])
	local seed = tonumber(args[2])
	conns = tonumber(args[3])
	if not size or not seed or not conns or size < MIB then
		io.stderr:write("range.lua: usage: -- FILE_SIZE SEED CONNECTIONS [check]\n")
		os.exit(2)
	end
	slices = math.floor(size / MIB)
	math.randomseed(seed + (thread_id or 0))
	bad = 0
	if args[4] == "check" then
		response = check_response
	end
end

function request()
	local first = (math.random(slices) - 1) * MIB
	wrk.headers["Range"] = string.format("bytes=%d-%d", first, first + MIB - 1)
	return wrk.format()
end

function check_response(status, headers, body)
	local cr = headers["Content-Range"] or headers["content-range"] or ""
	local a, b, total = string.match(cr, "^bytes (%d+)-(%d+)/(%d+)$")
	a, b, total = tonumber(a), tonumber(b), tonumber(total)
	local why = nil
	if status ~= 206 then
		why = "status " .. status .. " (want 206)"
	elseif not a or a % MIB ~= 0 or b ~= a + MIB - 1 or total ~= size then
		why = "Content-Range '" .. cr .. "'"
	elseif #body ~= MIB then
		why = "body of " .. #body .. " bytes (want " .. MIB .. ")"
	end
	if why then
		if bad == 0 then
			fail(why)
		end
		bad = bad + 1
	end
end

function done(summary, latency, requests)
	-- done() runs in wrk's main Lua state, where init() never ran
	local checked_bad, conns = 0, threads[1]:get("conns")
	for _, t in ipairs(threads) do
		checked_bad = checked_bad + (t:get("bad") or 0)
	end
	local n, errs = summary.requests, summary.errors.status
	local ok = true
	if checked_bad > 0 then
		fail(checked_bad .. " answers failed the per-answer check")
		ok = false
	end
	if errs > 0 then
		fail(errs .. " non-2xx/3xx answers")
		ok = false
	end
	if n == 0 then
		fail("no answers at all")
		ok = false
	else
		-- in-flight answers cut off at the end add at most one slice per
		-- connection; headers add well under 1 KiB per answer
		local per = summary.bytes / n
		local most = MIB + 1024 + conns * (MIB + 1024) / n
		if per < MIB or per > most then
			fail(string.format("%.0f bytes read per answer, want %d..%.0f",
				per, MIB, most))
			ok = false
		end
		io.write(string.format("range: %d answers, %.0f bytes each on average\n", n, per))
	end
	if not ok then
		os.exit(1)
	end
	io.write("range: ok\n")
end
