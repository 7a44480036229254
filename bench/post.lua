-- post.lua — wrk script for POST /api/v1/statuses.
-- Usage: wrk ... -s bench/post.lua URL -- TOKEN [IN_REPLY_TO_ID]
-- With IN_REPLY_TO_ID every post is a reply to that status.
-- Every request carries a different text (thread number and a counter), so
-- the server parses, renders and stores a new status each time.

local next_id = 0

function setup(thread)
	next_id = next_id + 1
	thread:set("thread_id", next_id)
end

function init(args)
	token = args[1]
	reply_to = args[2]
	counter = 0
	wrk.method = "POST"
	wrk.headers["Content-Type"] = "application/json"
	wrk.headers["Authorization"] = "Bearer " .. token
end

function request()
	counter = counter + 1
	local reply = ""
	if reply_to then
		reply = string.format(',"in_reply_to_id":"%s"', reply_to)
	end
	local body = string.format(
		'{"status":"benchmark post %d-%d: we believe you, you are not alone #movement","visibility":"public"%s}',
		thread_id, counter, reply)
	return wrk.format(nil, nil, nil, body)
end
