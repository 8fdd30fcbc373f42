-- Subject with the word "executable" is rejected 550 5.7.1
--
-- A Subject with the word "executable" is rejected at end of message with
-- the rule's reply, 550 5.7.1 Subject not allowed.
dofile(libdir .. "/common.lua")

t.run(function()
	local conn = t.session()
	local r = t.message(conn, {
		from = "<alice@example.com>",
		rcpt = { "<bob@example.org>" },
		headers = {
			{ "From", "alice@example.com" },
			{ "Subject", "run this executable" },
		},
		body = { "Please run the attached file.\r\n" },
	})
	t.expect_reply(conn, r, "550", "5.7.1", "Subject not allowed")
	mt.disconnect(conn)
end)
