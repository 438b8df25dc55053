-- Proposals passing through the server: each connection writes a new draft (POST /proposals) and, once the 201
-- came back, submits it (POST /proposals/{id}/transitions with its If-Match). Submitted proposals are never
-- touched again, so every proposal the server sees is new to it: a per-proposal cache or leak shows as growth.
-- Filled in by bench/memory.py: TOKEN (an applicant's), DRAFT (the JSON body of a new draft), SUBMIT.

local token = {{TOKEN}}
local draft = {{DRAFT}}
local submit = {{SUBMIT}}
local waiting, head, tail = {}, 1, 0

local function headers(version)
  local h = {["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json"}
  if version ~= nil then h["If-Match"] = '"' .. version .. '"' end
  return h
end

function request()
  if head <= tail then
    local item = waiting[head]
    waiting[head] = nil
    head = head + 1
    return wrk.format("POST", "/proposals/" .. item.id .. "/transitions", headers(item.version), submit)
  end
  return wrk.format("POST", "/proposals", headers(nil), draft)
end

function response(status, headers, body)
  if status ~= 201 then
    return
  end
  local id = tonumber(string.match(body, '^{"id":(%d+)'))
  local etag = headers["ETag"] or headers["etag"]
  if id == nil or etag == nil then
    return
  end
  tail = tail + 1
  waiting[tail] = {id = id, version = tonumber(string.match(etag, "%d+"))}
end
