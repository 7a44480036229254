-- post.lua — wrk script for POST /api/v1/statuses.
-- Usage: wrk ... -s bench/post.lua URL -- TOKEN
-- Every request carries a different text (thread number and a counter), so
-- the server parses, renders and stores a new status each time.

local next_id = 0

function setup(thread)
	next_id = next_id + 1
	thread:set("thread_id", next_id)
end

function init(args)
	token = args[1]
	counter = 0
	wrk.method = "POST"
	wrk.headers["Content-Type"] = "application/json"
	wrk.headers["Authorization"] = "Bearer " .. token
end

function request()
	counter = counter + 1
	local body = string.format(
		'{"status":"benchmark post %d-%d: we believe you, you are not alone #movement","visibility":"public"}',
		thread_id, counter)
	return wrk.format(nil, nil, nil, body)
end
