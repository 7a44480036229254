-- signin.lua — wrk script: a flood of wrong-password sign-ins.
-- Usage: wrk ... -s bench/signin.lua BASE/oauth/token -- CLIENT_ID SECRET LOGIN
-- Every request is a password grant (POST /oauth/token) with a wrong
-- password for LOGIN. done() prints how many were refused as wrong (400:
-- the password was checked) and how many were turned away busy (429), per
-- second of the run, as "signin: key=value" lines for bench/signin.sh.

local threads = {}

function setup(thread)
	table.insert(threads, thread)
end

local function urlencode(s)
	return (s:gsub("[^%w%-%._~]", function(c)
		return string.format("%%%02X", string.byte(c))
	end))
end

function init(args)
	checked, busy, other = 0, 0, 0
	wrk.method = "POST"
	wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
	wrk.body = "grant_type=password&scope=read"
		.. "&client_id=" .. urlencode(args[1])
		.. "&client_secret=" .. urlencode(args[2])
		.. "&username=" .. urlencode(args[3])
		.. "&password=not-the-password"
end

function response(status, headers, body)
	if status == 400 then
		checked = checked + 1
	elseif status == 429 then
		busy = busy + 1
	else
		other = other + 1
	end
end

function done(summary, latency, requests)
	local c, b, o = 0, 0, 0
	for _, t in ipairs(threads) do
		c = c + t:get("checked")
		b = b + t:get("busy")
		o = o + t:get("other")
	end
	local s = summary.duration / 1e6
	io.write(string.format("signin: checked=%d\nsignin: busy=%d\n", c, b))
	io.write(string.format("signin: other=%d\nsignin: seconds=%.2f\n", o, s))
	io.write(string.format("signin: checked_per_s=%.1f\n", c / s))
end
