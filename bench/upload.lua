-- upload.lua — wrk script for POST /api/v2/media with one image.
-- Usage: wrk -t N -c N ... -s bench/upload.lua URL -- TOKEN FILE
-- FILE is read once (per wrk thread) and sent as multipart/form-data, field
-- "file", filename x.jpg. An image answers 200 once it is processed, so a
-- request's latency is its upload-to-ready time.
--
-- Run one connection per thread (-t equal to -c): each request is then timed
-- here, from request() to response(), so the percentiles are exact ones of
-- the answers received (wrk's own table applies a coordinated-omission
-- correction, which a handful of second-long requests skews). done() prints
--   upload: status NNN: COUNT          per status seen
--   upload: non-200 answers: N
--   upload: timed N p50_ms X p99_ms Y max_ms Z
-- for bench/media.sh to read.

local ffi = require("ffi")
ffi.cdef([[
typedef struct { long tv_sec; long tv_nsec; } upload_timespec;
int clock_gettime(int clock_id, upload_timespec *tp);
]])
local CLOCK_MONOTONIC = 1
local ts = ffi.new("upload_timespec")
local function now_ms()
	ffi.C.clock_gettime(CLOCK_MONOTONIC, ts)
	return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end

local threads = {}

function setup(thread)
	table.insert(threads, thread)
end

function init(args)
	local token, path = args[1], args[2]
	if not token or not path then
		io.stderr:write("upload.lua: usage: -- TOKEN FILE\n")
		os.exit(2)
	end
	local f = assert(io.open(path, "rb"))
	local data = f:read("*a")
	f:close()
	local boundary = "----chorus-bench-7d4a1c9e0b3f"
	local body = table.concat({
		"--", boundary, "\r\n",
		'Content-Disposition: form-data; name="file"; filename="x.jpg"\r\n',
		"Content-Type: image/jpeg\r\n\r\n",
		data, "\r\n",
		"--", boundary, "--\r\n",
	})
	wrk.method = "POST"
	wrk.headers["Content-Type"] = "multipart/form-data; boundary=" .. boundary
	wrk.headers["Authorization"] = "Bearer " .. token
	req = wrk.format(nil, nil, nil, body)
	statuses = {}
	non200 = 0
	lat = {}
	started = nil
	first_bad = nil
end

function request()
	started = now_ms()
	return req
end

function response(status, headers, body)
	if started then
		lat[#lat + 1] = now_ms() - started
		started = nil
	end
	statuses[status] = (statuses[status] or 0) + 1
	if status ~= 200 then
		non200 = non200 + 1
		if not first_bad then
			first_bad = status .. " " .. string.sub(body or "", 1, 200)
			io.stderr:write("upload.lua: answer " .. first_bad .. "\n")
		end
	end
end

-- nearest-rank percentile of a sorted list
local function pct(sorted, p)
	if #sorted == 0 then
		return 0
	end
	local k = math.ceil(p / 100 * #sorted)
	if k < 1 then
		k = 1
	end
	return sorted[k]
end

function done(summary, latency, requests)
	local total, counts, all = 0, {}, {}
	for _, t in ipairs(threads) do
		total = total + (t:get("non200") or 0)
		for code, n in pairs(t:get("statuses") or {}) do
			counts[code] = (counts[code] or 0) + n
		end
		for _, v in ipairs(t:get("lat") or {}) do
			all[#all + 1] = v
		end
	end
	table.sort(all)
	for code, n in pairs(counts) do
		io.write(string.format("upload: status %s: %d\n", tostring(code), n))
	end
	io.write(string.format("upload: non-200 answers: %d\n", total))
	io.write(string.format("upload: timed %d p50_ms %.1f p99_ms %.1f max_ms %.1f\n",
		#all, pct(all, 50), pct(all, 99), all[#all] or 0))
end
