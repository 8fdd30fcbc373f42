-- A plain message is accepted with no changes
dofile(libdir .. "/common.lua")

t.run(function()
	local conn = t.session()
	local r = t.message(conn, {
		from = "<alice@example.com>",
		rcpt = { "<bob@example.org>" },
		headers = {
			{ "From", "Alice <alice@example.com>" },
			{ "To", "Bob <bob@example.org>" },
			{ "Subject", "Minutes of the meeting" },
		},
		body = { "Hello Bob,\r\n", "the minutes are attached.\r\n" },
	})
	t.expect_accepted(conn, r)
	t.expect_unchanged(conn)
	mt.disconnect(conn)
end)
