-- common.lua -- helpers for filterd's miltertest(8) scripts.
--
-- Each NN-name.lua script in this directory is run by t/40-miltertest.sh as
--   miltertest -D sock=SOCKET -D libdir=THIS_DIR -s NN-name.lua
-- and starts with
--   dofile(libdir .. "/common.lua")
-- SOCKET is filterd's milter socket in libmilter syntax (unix:/path or
-- inet:port@host); filterd is already running.
--
-- miltertest exits non-zero when a script raises an error, but it does not
-- always print the error; t.run() prints it first.  Every protocol step
-- below checks the filter's reply, and skips a step the filter turned off
-- in option negotiation (SMFIP_NO*), as an MTA would.

t = {}

local names = {}
names[SMFIR_CONTINUE] = "continue"
names[SMFIR_ACCEPT] = "accept"
names[SMFIR_REJECT] = "reject"
names[SMFIR_TEMPFAIL] = "tempfail"
names[SMFIR_DISCARD] = "discard"
names[SMFIR_REPLYCODE] = "replycode"
if SMFIR_SKIP ~= nil then names[SMFIR_SKIP] = "skip" end

-- A milter reply as a readable name.
function t.name(r)
	if r == nil then return "nil" end
	return names[r] or string.format("'%s' (%d)", string.char(r), r)
end

function t.fail(fmt, ...)
	error(string.format(fmt, ...), 0)
end

-- Runs the test body; on failure prints why, then fails the script.
function t.run(body)
	mt.set_timeout(30)
	local ok, err = pcall(body)
	if not ok then
		mt.echo("FAIL: " .. tostring(err))
		error(err, 0)
	end
	mt.echo("PASS")
end

-- Connects to filterd (retrying for up to 10 s).
function t.connect()
	if sock == nil then t.fail("no socket: run with -D sock=...") end
	local conn = mt.connect(sock, 100, 0.1)
	if conn == nil then t.fail("cannot connect to %s", sock) end
	return conn
end

-- Fails unless the last reply is one of the given ones.
function t.expect(conn, what, ...)
	local r = mt.getreply(conn)
	for _, want in ipairs({...}) do
		if r == want then return r end
	end
	local w = {}
	for _, want in ipairs({...}) do w[#w + 1] = t.name(want) end
	t.fail("%s: filter replied %s, expected %s", what, t.name(r),
	    table.concat(w, " or "))
end

-- Sends one protocol step unless the filter negotiated it away (noopt),
-- and requires "continue" unless it asked for no reply (nropt).
local function step(conn, what, noopt, nropt, fn, ...)
	if noopt ~= nil and mt.test_option(conn, noopt) then return end
	local err = fn(conn, ...)
	if err ~= nil then t.fail("%s: %s", what, tostring(err)) end
	if nropt ~= nil and mt.test_option(conn, nropt) then return end
	t.expect(conn, what, SMFIR_CONTINUE)
end

function t.conninfo(conn, host, ip)
	step(conn, "connect", SMFIP_NOCONNECT, SMFIP_NR_CONN, mt.conninfo,
	    host or "client.example.org", ip or "192.0.2.25")
end

function t.helo(conn, name)
	step(conn, "HELO", SMFIP_NOHELO, SMFIP_NR_HELO, mt.helo,
	    name or "client.example.org")
end

function t.mailfrom(conn, addr)
	step(conn, "MAIL FROM " .. addr, SMFIP_NOMAIL, SMFIP_NR_MAIL,
	    mt.mailfrom, addr)
end

function t.rcptto(conn, addr)
	step(conn, "RCPT TO " .. addr, SMFIP_NORCPT, SMFIP_NR_RCPT,
	    mt.rcptto, addr)
end

function t.header(conn, name, value)
	step(conn, "header " .. name, SMFIP_NOHDRS, SMFIP_NR_HDR, mt.header,
	    name, value)
end

function t.eoh(conn)
	step(conn, "end of headers", SMFIP_NOEOH, SMFIP_NR_EOH, mt.eoh)
end

function t.body(conn, chunk)
	step(conn, "body chunk", SMFIP_NOBODY, SMFIP_NR_BODY, mt.bodystring,
	    chunk)
end

-- Sends end of message and returns the filter's final reply.
function t.eom(conn)
	local err = mt.eom(conn)
	if err ~= nil then t.fail("end of message: %s", tostring(err)) end
	return mt.getreply(conn)
end

-- Sends one whole message after the connection's start and returns the
-- reply to end of message.  m = { from = "<a@b>", rcpt = { "<c@d>" },
-- headers = { { "Name", "value" }, ... }, body = { "chunk", ... } }.
function t.message(conn, m)
	t.mailfrom(conn, m.from or "<sender@example.com>")
	for _, r in ipairs(m.rcpt or { "<rcpt@example.org>" }) do
		t.rcptto(conn, r)
	end
	for _, h in ipairs(m.headers or {}) do
		t.header(conn, h[1], h[2])
	end
	t.eoh(conn)
	for _, b in ipairs(m.body or { "Hello.\r\n" }) do
		t.body(conn, b)
	end
	return t.eom(conn)
end

-- Opens a connection and sends the connection facts and HELO.
function t.session()
	local conn = t.connect()
	t.conninfo(conn)
	t.helo(conn)
	return conn
end

-- The value a filter's added header should carry: with SMFIP_HDR_LEADSPC
-- the filter supplies the space after the colon itself.
function t.hvalue(conn, v)
	if SMFIP_HDR_LEADSPC ~= nil and mt.test_option(conn, SMFIP_HDR_LEADSPC)
	then
		return " " .. v
	end
	return v
end

-- Fails unless header name was added with value (MT_HDRADD); says so
-- when it was inserted instead, or added with another value.
function t.expect_hdradd(conn, name, value)
	local v = t.hvalue(conn, value)
	if mt.eom_check(conn, MT_HDRADD, name, v) then return end
	if mt.eom_check(conn, MT_HDRADD, name) then
		t.fail("%s added with value [%s], expected [%s]", name,
		    tostring(mt.getheader(conn, name, 0)), v)
	end
	if mt.eom_check(conn, MT_HDRINSERT, name) then
		t.fail("%s inserted (smfi_insheader), expected added", name)
	end
	t.fail("%s: not added", name)
end

-- Fails if the filter asked for any header or body change.
function t.expect_unchanged(conn)
	local ops = {
		{ MT_HDRADD, "added a header" },
		{ MT_HDRINSERT, "inserted a header" },
		{ MT_HDRCHANGE, "changed a header" },
		{ MT_HDRDELETE, "deleted a header" },
		{ MT_BODYCHANGE, "replaced the body" },
		{ MT_QUARANTINE, "quarantined the message" },
	}
	for _, op in ipairs(ops) do
		if mt.eom_check(conn, op[1]) then
			t.fail("filter %s", op[2])
		end
	end
end

-- Fails unless the final reply is accept or continue.  (miltertest stops
-- reading at the first final reply, and an SMTP reply is one, so there is
-- no SMTP reply to look for after these.)
function t.expect_accepted(conn, r)
	if r ~= SMFIR_ACCEPT and r ~= SMFIR_CONTINUE then
		t.fail("end of message: filter replied %s, expected accept " ..
		    "or continue", t.name(r))
	end
end

-- Fails unless the final reply is exactly the SMTP reply "code ecode
-- text" (MT_SMTPREPLY compares the whole string).
function t.expect_reply(conn, r, code, ecode, text)
	if r ~= SMFIR_REPLYCODE then
		t.fail("end of message: filter replied %s, expected " ..
		    "replycode \"%s %s %s\"", t.name(r), code, ecode, text)
	end
	if not mt.eom_check(conn, MT_SMTPREPLY, code, ecode, text) then
		t.fail("SMTP reply is not \"%s %s %s\"", code, ecode, text)
	end
end
