-- Sender @spam.example is tempfailed 451 4.7.1 at end of message
--
-- A sender matching @spam\.example$ is tempfailed with 451 4.7.1 Try again
-- later.  The verdict comes at end of message: MAIL FROM itself must get
-- "continue" (t.message checks every step before end of message).
dofile(libdir .. "/common.lua")

t.run(function()
	local conn = t.session()
	local r = t.message(conn, {
		from = "<foo@spam.example>",
		rcpt = { "<bob@example.org>" },
		headers = {
			{ "From", "foo@spam.example" },
			{ "Subject", "Hello" },
		},
		body = { "Nothing to see here.\r\n" },
	})
	t.expect_reply(conn, r, "451", "4.7.1", "Try again later")
	mt.disconnect(conn)
end)
