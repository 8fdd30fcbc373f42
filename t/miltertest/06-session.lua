-- Five messages on one connection get independent verdicts
--
-- Several messages on one connection: each gets its own verdict, and
-- nothing carries over from one message to the next.
dofile(libdir .. "/common.lua")

t.run(function()
	local conn = t.session()
	local r

	-- 1: lottery, header added.
	r = t.message(conn, {
		headers = { { "Subject", "one" } },
		body = { "you have won\r\n" },
	})
	t.expect_accepted(conn, r)
	t.expect_hdradd(conn, "X-Filterd-Rule", "lottery")

	-- 2: clean; no header left over from message 1.
	r = t.message(conn, {
		headers = { { "Subject", "two" } },
		body = { "nothing special\r\n" },
	})
	t.expect_accepted(conn, r)
	t.expect_unchanged(conn)

	-- 3: "executables" is not the word "executable" (\b).
	r = t.message(conn, {
		headers = { { "Subject", "no executables here" } },
		body = { "fine\r\n" },
	})
	t.expect_accepted(conn, r)
	t.expect_unchanged(conn)

	-- 4: the word in capitals is ((?i)).
	r = t.message(conn, {
		headers = { { "Subject", "EXECUTABLE inside" } },
		body = { "bad\r\n" },
	})
	t.expect_reply(conn, r, "550", "5.7.1", "Subject not allowed")

	-- 5: after a rejection, a clean message is accepted again.
	r = t.message(conn, {
		from = "<carol@example.com>",
		headers = { { "Subject", "five" } },
		body = { "ok\r\n" },
	})
	t.expect_accepted(conn, r)
	t.expect_unchanged(conn)

	mt.disconnect(conn)
end)
