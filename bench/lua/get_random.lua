-- GET /proposals/{id} under wrk, every request a random proposal, so that over a run the server reads a large
-- part of the database instead of a few hot rows. Filled in by bench/read_large.py: FIRST_ID, LAST_ID, TOKENS
-- (the manager of alliance i; proposal first_id + n belongs to alliance n % #tokens).

local first_id = {{FIRST_ID}}
local last_id = {{LAST_ID}}
local tokens = {{TOKENS}}
local headers = {}
for i, token in ipairs(tokens) do headers[i] = { ["Authorization"] = "Bearer " .. token } end
local thread_counter = 0

-- setup runs in the main Lua state once per thread: each thread gets a seed of its own, or all threads would ask
-- for the same sequence of ids.
function setup(thread)
  thread_counter = thread_counter + 1
  thread:set("seed_offset", thread_counter)
end

function init(args)
  math.randomseed(os.time() * 1000 + (tonumber(seed_offset) or 0) * 7919)
end

function request()
  local id = math.random(first_id, last_id)
  return wrk.format("GET", "/proposals/" .. id, headers[(id - first_id) % #tokens + 1])
end
