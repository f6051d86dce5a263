-- wrk script for bench/webhook_ack.py --generator wrk: one thread, many connections, each
-- connection pausing between requests so the total rate is about the target. Every request is
-- a different call (pre-signed bodies from the file given after "--"), so each must be stored.
local sigs, bodies, sent = {}, {}, 0

function init(args)
  for line in io.lines(args[1]) do
    local sig, body = line:match("^([^\t]+)\t(.*)$")
    sigs[#sigs + 1], bodies[#bodies + 1] = sig, body
  end
end

function delay()
  return tonumber(os.getenv("WRK_DELAY_MS") or "50")
end

function request()
  sent = sent + 1
  local k = ((sent - 1) % #bodies) + 1
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["x-retell-signature"] = sigs[k]
  return wrk.format("POST", nil, nil, bodies[k])
end
