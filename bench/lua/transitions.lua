-- Transitions over HTTP under wrk: each connection takes an idle proposal, fires its next step with the version
-- it last saw (If-Match), and the answer (the new representation) makes the proposal idle again at its new
-- version. Proposals cycle through the steps in `steps`, each fired by the role that may fire it.
-- Filled in by bench/transitions_http.py: PROPOSALS ({id, version}),
-- STEPS ({body, token} per step, in order), THREADS.

local proposals = {{PROPOSALS}}
local steps = {{STEPS}}
local thread_total = {{THREADS}}
local counter = 0

-- setup runs in the main Lua state once per thread; each thread takes every thread_total-th proposal.
function setup(thread)
  counter = counter + 1
  thread:set("thread_index", counter)
end

local queue, head, tail = {}, 1, 0
local version, step = {}, {}

function init(args)
  local total = thread_total
  local index = tonumber(thread_index) or 1
  for i = index, #proposals, total do
    local id = proposals[i].id
    version[id] = proposals[i].version
    step[id] = 1
    tail = tail + 1
    queue[tail] = id
  end
end

function request()
  if head > tail then
    -- every proposal of this thread is in flight or lost to an error: ask for something harmless and cheap
    -- that counts as an error (404), so that a stuck run shows up in the error count instead of hanging.
    return wrk.format("GET", "/proposals/0/idle")
  end
  local id = queue[head]
  queue[head] = nil
  head = head + 1
  local s = steps[step[id]]
  return wrk.format("POST", "/proposals/" .. id .. "/transitions", {
    ["Authorization"] = "Bearer " .. s.token,
    ["Content-Type"] = "application/json",
    ["If-Match"] = '"' .. version[id] .. '"',
  }, s.body)
end

function response(status, headers, body)
  if status ~= 200 then
    return
  end
  local id = tonumber(string.match(body, '^{"id":(%d+)'))
  local etag = headers["ETag"] or headers["etag"]
  if id == nil or etag == nil then
    return
  end
  version[id] = tonumber(string.match(etag, "%d+"))
  step[id] = step[id] % #steps + 1
  tail = tail + 1
  queue[tail] = id
end
