-- wrk script for bench/ratios.py: rotates challenge ids, tokens and submission bodies, and counts non-2xx answers.
-- Arguments after `--`: a path, where "{id}" takes the next id; optionally a file of ids; optionally a file of
-- tokens, which turns the requests into JSON submissions signed with the next token.
local threads = {}

function setup(thread)
  thread:set("thread_id", #threads)
  table.insert(threads, thread)
end

local function read_lines(path)
  local lines = {}
  for line in io.lines(path) do
    if line ~= "" then table.insert(lines, line) end
  end
  return lines
end

-- The words of bench/challenge_list.py: random picks share almost no three-word run, so the spam filter's
-- near-duplicate check sees distinct texts.
local WORDS = {"sensor", "battery", "river", "soil", "vaccine", "protein", "drone", "satellite", "grid", "solar",
  "wind", "forest", "city", "traffic", "crop", "seed", "school", "library", "bridge", "robot", "camera", "language",
  "speech", "image", "network", "market", "credit", "waste", "plastic", "air", "noise", "heat", "flood", "fire",
  "rail", "port", "mine", "glacier", "bee", "coral"}

local function text(count)
  local picked = {}
  for i = 1, count do picked[i] = WORDS[math.random(#WORDS)] end
  return table.concat(picked, " ")
end

function init(args)
  path, ids, tokens = args[1], args[2] and read_lines(args[2]), args[3] and read_lines(args[3])
  counter, non2xx, sample = thread_id, 0, ""
  math.randomseed(os.time() * 100 + thread_id)
end

function request()
  counter = counter + 1
  local target = ids and path:gsub("{id}", ids[counter % #ids + 1]) or path
  if not tokens then
    return wrk.format("GET", target)
  end
  local headers = {["Content-Type"] = "application/json",
                   ["Authorization"] = "Bearer " .. tokens[counter % #tokens + 1]}
  local body = string.format(
    '{"title": "Entry %d", "summary": "A plan for %s.", "body": "Entry %d: %s.", "links": [], "accept_terms": true}',
    counter, text(4), counter, text(60))
  return wrk.format("POST", target, headers, body)
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
    if sample == "" then sample = status .. " " .. (body or ""):sub(1, 300):gsub("%s+", " ") end
  end
end

function done(summary, latency, requests)
  local non2xx, sample = 0, ""
  for _, thread in ipairs(threads) do
    non2xx = non2xx + thread:get("non2xx")
    if sample == "" then sample = thread:get("sample") end
  end
  local errors = summary.errors
  io.write(string.format("BENCH requests=%d duration_us=%d non2xx=%d connect=%d read=%d write=%d timeout=%d\n",
    summary.requests, summary.duration, non2xx, errors.connect, errors.read, errors.write, errors.timeout))
  io.write("SAMPLE " .. sample .. "\n")
end
