-- act.lua — wrk script for a status action and its undoing:
-- POST /api/v1/statuses/:id/VERB then /un VERB, over a list of statuses.
-- Usage: wrk ... -s bench/act.lua BASE_URL -- TOKEN VERB ID[,ID…]
-- (VERB: favourite, reblog or bookmark). Request k acts on the k-th id
-- (round robin); each pass over the list alternates doing and undoing,
-- so every request is a write.

function init(args)
	token = args[1]
	verb = args[2]
	ids = {}
	for id in string.gmatch(args[3], "[^,]+") do
		ids[#ids + 1] = id
	end
	counter = 0
	wrk.method = "POST"
	wrk.headers["Authorization"] = "Bearer " .. token
end

function request()
	local n = #ids
	local id = ids[counter % n + 1]
	local undo = math.floor(counter / n) % 2 == 1
	counter = counter + 1
	local path = string.format("/api/v1/statuses/%s/%s%s", id,
		undo and "un" or "", verb)
	return wrk.format(nil, path)
end
