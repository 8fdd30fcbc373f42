-- "you have won" split across body chunks still matches
--
-- "you have won" split across body chunks, in another case, still matches:
-- the body is matched as a whole, not chunk by chunk.
dofile(libdir .. "/common.lua")

t.run(function()
	local conn = t.session()
	local r = t.message(conn, {
		from = "<promo@example.net>",
		headers = { { "Subject", "Re: your ticket" } },
		body = { "Line one.\r\nAnd YOU HA", "VE W", "ON the jackpot.\r\n" },
	})
	t.expect_accepted(conn, r)
	t.expect_hdradd(conn, "X-Filterd-Rule", "lottery")
	mt.disconnect(conn)
end)
