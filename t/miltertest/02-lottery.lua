-- "you have won" in the body adds X-Filterd-Rule: lottery
--
-- A body that says "you have won" gets X-Filterd-Rule: lottery (rule
-- "lottery", action add-header) and is accepted.
dofile(libdir .. "/common.lua")

t.run(function()
	local conn = t.session()
	local r = t.message(conn, {
		from = "<promo@example.net>",
		rcpt = { "<bob@example.org>" },
		headers = {
			{ "From", "Promotions <promo@example.net>" },
			{ "To", "bob@example.org" },
			{ "Subject", "Good news" },
		},
		body = { "Dear customer,\r\n",
		    "Congratulations, you have won a prize!\r\n" },
	})
	t.expect_accepted(conn, r)
	t.expect_hdradd(conn, "X-Filterd-Rule", "lottery")
	mt.disconnect(conn)
end)
